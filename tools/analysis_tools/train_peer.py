"""Train the benchmark peer (torchvision FCOS, ResNet-18 FPN, from scratch) on a config's
data for a wall-time budget, then evaluate it with the same COCO evaluation as MaxSight.

python tools/analysis_tools/train_peer.py CONFIG --minutes 9.1 [--lr 1e-3] [--out peer.json]
    [--warmup 150] [--overfit N]

Same training images, pipeline (resize, flip), batch size and validation set as CONFIG.
Recipe: AdamW (weight decay 0.05), gradient clipping at 10, linear warm-up over --warmup
(150) iterations, then cosine decay over the number of iterations the budget allows (estimated
from the iterations' speed after warm-up). Prints val coco/bbox_mAP and AP50.

``--overfit N`` is the sanity check of the peer's training path: it trains on the first N
training images only and evaluates on those same images (test pipeline), where a working
detector must reach a high mAP.
"""
import argparse
import math
import os.path as osp
import sys
import time

import torch
from mmengine.config import DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import (coco_box_eval, load_coco_gt,  # noqa: E402
                                                      to_coco_results, write_json_atomic)
from maxsight.models.peers import fcos_resnet18_fpn, peer_inputs  # noqa: E402
from maxsight.utils import dataset_ann_file, load_config, prepare_config  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def to_original(detections: dict, metainfo: dict) -> dict:
    """FCOS detections on the resized image -> xyxy boxes in original-image pixels."""
    sx, sy = metainfo.get('scale_factor', (1.0, 1.0))
    boxes = detections['boxes'].detach().cpu() / torch.tensor([sx, sy, sx, sy])
    n = len(boxes)
    return dict(img_id=metainfo['img_id'], bboxes=boxes.numpy(),
                scores=detections['scores'].detach().cpu().numpy(),
                labels=detections['labels'].detach().cpu().numpy(),
                distance_m=[0.0] * n, distance_zone=[0] * n, urgency=[0] * n)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--minutes', type=float, required=True, help='training wall time')
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--warmup', type=int, default=150, help='linear warm-up iterations')
    parser.add_argument('--out')
    parser.add_argument('--overfit', type=int, metavar='N',
                        help='train and evaluate on the first N training images only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    if args.overfit is not None:
        if args.overfit < 1:
            raise ValueError(f'--overfit must be >= 1, got {args.overfit}')
        cfg.train_dataloader.dataset.indices = args.overfit
        cfg.val_dataloader.dataset = dict(cfg.train_dataloader.dataset, test_mode=True,
                                          pipeline=cfg.val_dataloader.dataset.pipeline)
    prepare_config(cfg, splits=('train', 'val'))
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    torch.manual_seed(0)
    train_loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    val_loader = Runner.build_dataloader(cfg.val_dataloader, seed=0)
    first = next(iter(val_loader))['inputs'][0]
    num_classes = int(cfg.model.bbox_head.num_classes)
    model = fcos_resnet18_fpn(num_classes, tuple(first.shape[-2:])).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    budget, warmup = args.minutes * 60, args.warmup
    start, it, epoch, total = time.perf_counter(), 0, 0, None
    while time.perf_counter() - start < budget:
        train_loader.sampler.set_epoch(epoch) if hasattr(train_loader.sampler,
                                                         'set_epoch') else None
        for batch in train_loader:
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                break
            if it == warmup + 20:  # speed known: cosine over what the budget allows
                total = int(it * budget / elapsed)
            if it < warmup:
                lr = args.lr * (0.01 + 0.99 * it / warmup)
            elif total is None:
                lr = args.lr
            else:
                progress = min(1.0, (it - warmup) / max(1, total - warmup))
                lr = 0.01 * args.lr + 0.99 * args.lr * 0.5 * (1 + math.cos(math.pi * progress))
            for group in optim.param_groups:
                group['lr'] = lr
            model.train()
            imgs, targets = peer_inputs(batch, device)
            loss = sum(model(imgs, targets).values())
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optim.step()
            if it % 50 == 0:
                print(f'epoch {epoch} iter {it} loss {loss.item():.4f} lr {lr:.2e} '
                      f'{elapsed / 60:.1f} min', flush=True)
            it += 1
        epoch += 1
    trained_s = time.perf_counter() - start
    model.eval()
    results = []
    with torch.no_grad():
        for batch in val_loader:
            imgs, _ = peer_inputs(batch, device)
            for det, sample in zip(model(imgs), batch['data_samples']):
                results.append(to_original(det, sample.metainfo))
    ann_file = dataset_ann_file(cfg.val_dataloader.dataset)
    meta = val_loader.dataset.metainfo
    coco = to_coco_results(results, meta['cat_ids'])
    img_ids = [r['img_id'] for r in results]  # every evaluated image, with or without boxes
    stats = coco_box_eval(load_coco_gt(ann_file), coco, img_ids=img_ids, quiet=True).stats \
        if coco else [0.0] * 12
    out = dict(model='fcos_resnet18_fpn', iterations=it, epochs_started=epoch,
               evaluated_images=len(img_ids), overfit=args.overfit,
               train_seconds=trained_s, **{'coco/bbox_mAP': float(stats[0]),
                                          'coco/bbox_mAP_50': float(stats[1])})
    print(f'FCOS ResNet-18 FPN: {it} iterations in {trained_s / 60:.1f} min; val '
          f'coco/bbox_mAP {out["coco/bbox_mAP"]:.4f}, AP50 {out["coco/bbox_mAP_50"]:.4f}')
    if args.out:
        write_json_atomic(args.out, out, indent=2)
    return out


if __name__ == '__main__':
    run_tool(main)

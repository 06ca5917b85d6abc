"""The peer's own training (``tools/analysis_tools/train_peer.py``): torchvision's FCOS
ResNet-18 FPN, from scratch, on a MaxSight config's data for a wall-time budget, then its
val COCO mAP from the same CocoMetric code MaxSight is scored with.

AdamW at the full learning rate from the first step (no warm-up by default), then a cosine
over the iterations the budget allows (estimated from the speed of the first iterations),
gradients clipped at norm 10 (docs/benchmarks.md, the 35-minute peer).
"""
import math
import time
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ..evaluation.metrics.coco_metric import coco_box_eval, load_coco_gt, to_coco_results
from ..models.peers import fcos_resnet18_fpn, peer_inputs
from ..utils.config_preparation import dataset_ann_file
from .common import best_device


def overfit_config(cfg: Config, n: int) -> Config:
    """``cfg`` (in place) training and evaluating on its first ``n`` training images."""
    if n < 1:
        raise ValueError(f'--overfit must be >= 1, got {n}')
    cfg.train_dataloader.dataset.indices = n
    cfg.val_dataloader.dataset = dict(cfg.train_dataloader.dataset, test_mode=True,
                                      pipeline=cfg.val_dataloader.dataset.pipeline)
    return cfg


def to_original(detections: dict, metainfo: dict) -> dict:
    """FCOS detections on the resized image -> xyxy boxes in original-image pixels."""
    sx, sy = metainfo.get('scale_factor', (1.0, 1.0))
    boxes = detections['boxes'].detach().cpu() / torch.tensor([sx, sy, sx, sy])
    n = len(boxes)
    return dict(img_id=metainfo['img_id'], bboxes=boxes.numpy(),
                scores=detections['scores'].detach().cpu().numpy(),
                labels=detections['labels'].detach().cpu().numpy(),
                distance_m=[0.0] * n, distance_zone=[0] * n, urgency=[0] * n)


def peer_lr(it: int, base_lr: float, warmup: int, total: Optional[int]) -> float:
    """Learning rate of iteration ``it``: linear from 1 % of ``base_lr`` over ``warmup``
    iterations, then ``base_lr`` until ``total`` (the iterations the budget allows) is
    known, then a cosine from ``base_lr`` to 1 % of it at ``total``."""
    if it < warmup:
        return base_lr * (0.01 + 0.99 * it / warmup)
    if total is None:
        return base_lr
    progress = min(1.0, (it - warmup) / max(1, total - warmup))
    return 0.01 * base_lr + 0.99 * base_lr * 0.5 * (1 + math.cos(math.pi * progress))


def budget_iterations(done: int, first_done_s: float, elapsed_s: float,
                      budget_s: float) -> int:
    """Iterations a ``budget_s`` run will reach, from ``done`` iterations after
    ``elapsed_s`` seconds, the first of which ended at ``first_done_s``: the rate is taken
    after the first iteration, which also pays for one-time start-up."""
    rate = (done - 1) / max(elapsed_s - first_done_s, 1e-9)
    return done + int(rate * max(budget_s - elapsed_s, 0.0))


def train_peer(cfg: Config, minutes: float, base_lr: float = 1e-3,
               warmup_iters: int = 0,
               overfit: Optional[int] = None) -> dict:
    """Train the peer on prepared ``cfg``'s train split for ``minutes`` and evaluate it on
    its val split; returns iterations, epochs, images evaluated and COCO mAP / AP50."""
    device = best_device()
    torch.manual_seed(0)
    train_loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    val_loader = Runner.build_dataloader(cfg.val_dataloader, seed=0)
    first = next(iter(val_loader))['inputs'][0]
    num_classes = int(cfg.model.bbox_head.num_classes)
    model = fcos_resnet18_fpn(num_classes, tuple(first.shape[-2:])).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=base_lr, weight_decay=0.05)
    budget, warmup = minutes * 60, warmup_iters
    start, it, epoch, total, first_done = time.perf_counter(), 0, 0, None, 0.0
    while time.perf_counter() - start < budget:
        train_loader.sampler.set_epoch(epoch) if hasattr(train_loader.sampler,
                                                         'set_epoch') else None
        for batch in train_loader:
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                break
            if it == 1:
                first_done = elapsed
            if it == warmup + 20:  # speed known: cosine over what the budget allows
                total = budget_iterations(it, first_done, elapsed, budget)
            lr = peer_lr(it, base_lr, warmup, total)
            for group in optim.param_groups:
                group['lr'] = lr
            model.train()
            imgs, targets = peer_inputs(batch, device)
            parts = model(imgs, targets)
            loss = sum(parts.values())
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optim.step()
            if it % 50 == 0:
                print(f'epoch {epoch} iter {it} loss {loss.item():.4f} (' + ', '.join(
                    f'{k} {v.item():.3f}' for k, v in parts.items()) + f') lr {lr:.2e} '
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
    scores = [float(s) for r in results for s in r['scores']]
    out = dict(model='fcos_resnet18_fpn', iterations=it, epochs_started=epoch,
               evaluated_images=len(img_ids), overfit=overfit,
               # a peer that scores 0 says here whether it found nothing or misplaced it
               detections_per_image=len(scores) / max(len(img_ids), 1),
               max_score=max(scores, default=0.0),
               final_loss=float(loss.item()) if it else None,
               final_losses={k: float(v.item()) for k, v in parts.items()} if it else None,
               train_seconds=trained_s, **{'coco/bbox_mAP': float(stats[0]),
                                          'coco/bbox_mAP_50': float(stats[1])})
    print(f'FCOS ResNet-18 FPN: {it} iterations in {trained_s / 60:.1f} min; val '
          f'coco/bbox_mAP {out["coco/bbox_mAP"]:.4f}, AP50 {out["coco/bbox_mAP_50"]:.4f}; '
          f'{out["detections_per_image"]:.1f} detections per image (score >= 0.05), best '
          f'score {out["max_score"]:.3f}')
    return out

"""Scale check on the CPU: the photo recipe with a ResNet-18 (a torchvision state dict
loaded from a local file) trains and evaluates on generated photos of mixed sizes with
30-40 objects each and non-contiguous category ids; mAP equals pycocotools' on
--pred-out."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torchvision
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from maxsight.checkpoint_io import safe_load_checkpoint

from ..helpers import ROOT, write_photo_dataset

pytestmark = pytest.mark.slow

CONFIG = 'tests/configs/r18_photos.py'


def _run(args):
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_resnet18_photo_recipe_trains_and_evaluates_crowded_mixed_size_photos(tmp_path):
    root = str(tmp_path / 'photos')
    write_photo_dataset(root, 'train', [(640, 480), (480, 640), (800, 600), (640, 480)],
                        seed=1)
    val_ann = write_photo_dataset(root, 'val', [(800, 600), (480, 640), (640, 480)], seed=2,
                                  empty_last=True)
    weights = str(tmp_path / 'resnet18.pth')
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(weights=None).state_dict()
    reference['layer3.0.conv1.weight'] += 0.5  # unlike any fresh initialisation
    torch.save(reference, weights)
    work = str(tmp_path / 'work')
    opts = [f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val', 'test')]
    opts.append(f'model.backbone.init_cfg.checkpoint={weights}')
    _run(['tools/train.py', CONFIG, '--work-dir', work, '--cfg-options', *opts])
    ckpt = safe_load_checkpoint(osp.join(work, 'epoch_1.pth'), map_location='cpu')
    layer1 = ckpt['state_dict']['backbone.stages.0.0.conv1.weight']  # frozen: as loaded
    assert torch.equal(layer1, reference['layer1.0.conv1.weight'])
    assert list(ckpt['meta']['dataset_meta']['cat_ids']) == [3, 17, 90]

    out, pred = str(tmp_path / 'm.json'), str(tmp_path / 'p.bbox.json')
    _run(['tools/test.py', CONFIG, osp.join(work, 'epoch_1.pth'), '--work-dir', work,
          '--out', out, '--pred-out', pred, '--cfg-options', *opts])
    gt = COCO(val_ann)
    assert min(len(gt.getAnnIds(imgIds=[i])) for i in (1, 2)) >= 30
    preds = json.load(open(pred))
    assert {p['category_id'] for p in preds} <= {3, 17, 90}
    # every image (the one without objects too) gets its 100 detections, in its own pixels
    assert sorted({p['image_id'] for p in preds}) == [1, 2, 3]
    assert all(sum(p['image_id'] == i for p in preds) == 100 for i in (1, 2, 3))
    for p in preds:
        img = gt.imgs[p['image_id']]
        x, y, w, h = p['bbox']
        assert x >= 0 and y >= 0 and x + w <= img['width'] + 1e-3 \
            and y + h <= img['height'] + 1e-3
    ref = COCOeval(gt, gt.loadRes(pred), 'bbox')
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    metrics = json.load(open(out))
    assert abs(ref.stats[0] - metrics['coco/bbox_mAP']) <= 1e-9
    assert abs(ref.stats[1] - metrics['coco/bbox_mAP_50']) <= 1e-9

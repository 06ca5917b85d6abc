"""What several test modules share that is not a fixture: the repository root, a tiny
model, a synthetic batch and a tier model with one real batch."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from maxsight.registry import MODELS
from maxsight.structures import DetDataSample
from maxsight.utils import ensure_embedded_dataset
from maxsight.utils.config_preparation import apply_pipeline_additions

#: the tiny_synth fixture's embedded-dataset settings: a config that points
#: ``embedded_dataset`` at it must ask for these, or the split is generated again
TINY_SYNTH = dict(num_train=24, num_val=8, seed=3, width=128, height=96)
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


#: --cfg-options switching the after-training hooks off (tested in test_train_test_resume.py)
NO_AFTER_TRAINING_HOOKS = {f'default_hooks.{name}': None
                           for name in ('operating_point', 'visualization', 'training_plots')}


def tiny_model(num_classes: int = 3):
    """The tiny T2 of tests/configs/tiny_t2.py with ``num_classes``, seeded."""
    cfg = Config.fromfile(TINY_CONFIG).model
    cfg.bbox_head = dict(cfg.bbox_head, num_classes=num_classes)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def synthetic_batch() -> dict:
    """Two 128x96 uint8 images with one bright square object each (seeded)."""
    torch.manual_seed(1)
    inputs, samples = [], []
    for i in range(2):
        img = torch.randint(0, 255, (3, 96, 128), dtype=torch.uint8)
        img[:, 20:60, 30:70] = 250  # a bright square object
        gt = InstanceData(bboxes=torch.tensor([[30., 20., 70., 60.]]),
                          labels=torch.tensor([i % 3]), distance_m=torch.tensor([3.0]),
                          distance_zone=torch.tensor([1]), urgency=torch.tensor([2]))
        sample = DetDataSample(metainfo=dict(img_shape=(96, 128), ori_shape=(192, 256),
                                             scale_factor=(0.5, 0.5), scene_urgency=2))
        sample.gt_instances = gt
        sample.ignored_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                                labels=torch.zeros(0, dtype=torch.long))
        inputs.append(img)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def tier_config(name: str, root: str) -> Config:
    """Tier config ``name`` on the tiny embedded data under ``root`` (generated on first
    use; clips of 4 frames): train batches of 2, 8 classes, every detection kept."""
    cfg = Config.fromfile(f'configs/{name}.py')
    cfg.embedded_dataset = dict(TINY_SYNTH, root=root, num_train_clips=3, num_val_clips=2,
                                clip_length=4)
    loader = cfg.train_dataloader
    loader.dataset.data_root = root
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    ensure_embedded_dataset(cfg, splits=('train',))
    apply_pipeline_additions(cfg)
    cfg.model.bbox_head.num_classes = 8
    cfg.model.bbox_head.test_cfg.update(max_per_img=100, score_thr=0.0)
    return cfg


def build_tier(name: str, root: str, balancer: Optional[dict] = None):
    """Tier config ``name``'s model (:func:`tier_config`; seeded, its balancer replaced by
    ``balancer`` when given) and one preprocessed training batch of 2."""
    cfg = tier_config(name, root)
    if balancer is not None:
        cfg.model.balancer = balancer
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    return model, model.data_preprocessor(batch, training=True)


def overfit_checkpoint(root: str, work: str, epochs: int = 40) -> str:
    """Train the tiny T2 config on ``root``'s val split itself for ``epochs`` (8-9 images,
    about 15 s): a model whose detections on those images are good enough (val mAP about
    0.3) for end-to-end checks that a zero mAP would make vacuous. Returns the checkpoint."""
    import subprocess
    import sys
    opts = [f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val', 'test')]
    opts += ['train_dataloader.dataset.ann_file=annotations/val.json',
             f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}']
    proc = subprocess.run([sys.executable, 'tools/train.py', TINY_CONFIG, '--work-dir', work,
                           '--cfg-options', *opts], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return osp.join(work, f'epoch_{epochs}.pth')


def write_photo_dataset(root: str, split: str, sizes, num_objects=(30, 40),
                        cat_ids=(3, 17, 90), seed: int = 0, empty_last: bool = False) -> str:
    """Generated 'photos' for scale tests: images of the given (width, height) sizes,
    JPEG and PNG alternately, a noisy textured background and ``num_objects`` (low, high)
    filled rectangles per image in a colour per class, COCO ids ``cat_ids`` (not
    contiguous), no distance / urgency / lighting fields (all derived). ``empty_last``:
    the last image has no objects. Returns the annotation file."""
    import json
    import os

    import cv2
    import numpy as np
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, 'images', split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    colours = [(220, 40, 40), (40, 200, 60), (50, 80, 230)]
    images, anns = [], []
    for i, (w, h) in enumerate(sizes):
        img = rng.integers(60, 140, (h, w, 3)).astype(np.uint8)
        n = 0 if empty_last and i == len(sizes) - 1 else int(rng.integers(*num_objects))
        for _ in range(n):
            bw, bh = int(rng.integers(w // 20, w // 6)), int(rng.integers(h // 20, h // 6))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            c = int(rng.integers(len(cat_ids)))
            img[y:y + bh, x:x + bw] = colours[c]
            anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=cat_ids[c],
                             bbox=[x, y, bw, bh], area=bw * bh, iscrowd=0))
        name = f'{split}_{i}.' + ('jpg' if i % 2 == 0 else 'png')
        cv2.imwrite(osp.join(img_dir, name), img[..., ::-1])
        images.append(dict(id=i + 1, file_name=name, width=w, height=h))
    cats = [dict(id=c, name=f'class{c}') for c in cat_ids]
    path = osp.join(root, 'annotations', f'{split}.json')
    with open(path, 'w') as f:
        json.dump(dict(info={}, images=images, annotations=anns, categories=cats), f)
    return path

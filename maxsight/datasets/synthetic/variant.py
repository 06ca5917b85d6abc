"""A second, differently made COCO-format street-scene set, for choosing defaults on more
than one dataset (docs/benchmarks.md#calibrated-operating-point-on-two-datasets) and checking calibration on
data the embedded set's tuning never saw.

It differs from the embedded set in every way the issue lists: image sizes and aspect
ratios (384x288, 256x320 portrait, 416x234 wide, mixed in each split), the class set and
ids (6 classes with ids 7-90, two embedded classes absent), objects per image (5-16
instead of 2-10), the label sources (only ``annotated_share`` of the objects carry
``distance_m`` / ``distance_zone`` / ``urgency``, the rest are derived at load time from the
box and the category's hazard prior; no image has a ``lighting`` field) and the files
(JPEG, no audio). Its random streams are its own: seeded by (seed, 100 + split code,
index), never an embedded image.
"""
import json
import os
import os.path as osp
from typing import Dict

import numpy as np
from PIL import Image

from .generator import CLASSES, SPLIT_CODES, ObjectClass, generate_frames

#: (drawn as, variant id, variant name, hazard prior)
VARIANT_CLASSES = (('person', 7, 'pedestrian', 0.45), ('bicycle', 12, 'cyclist', 0.7),
                   ('car', 33, 'vehicle', 0.95), ('dog', 40, 'animal', 0.5),
                   ('pole', 51, 'post', 0.6), ('stairs', 90, 'steps', 0.85))
VARIANT_SIZES = ((384, 288), (256, 320), (416, 234))
OBJECTS_PER_IMAGE = (5, 16)


def _drawn_classes() -> tuple:
    by_name = {c.name: c for c in CLASSES}
    return tuple(ObjectClass(by_name[src].id, src, prior, by_name[src].size_m)
                 for src, _, _, prior in VARIANT_CLASSES)


def generate_variant_split(out_dir: str, split: str, num_images: int, seed: int = 0,
                           annotated_share: float = 0.6) -> str:
    """Write ``num_images`` JPEG images to ``out_dir/<split>/`` and the COCO file
    ``out_dir/annotations/<split>.json``; returns the annotation file path."""
    if not 0.0 <= annotated_share <= 1.0:
        raise ValueError(f'annotated_share must be in [0, 1], got {annotated_share}')
    os.makedirs(osp.join(out_dir, split), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    drawn = _drawn_classes()
    remap = {c.id: vid for c, (_, vid, _, _) in zip(drawn, VARIANT_CLASSES)}
    images, annotations = [], []
    for i in range(num_images):
        rng = np.random.default_rng([seed, 100 + SPLIT_CODES[split], i])
        w, h = VARIANT_SIZES[int(rng.integers(len(VARIANT_SIZES)))]
        frame = generate_frames(seed + 7919, split, i, w, h, with_audio=False,
                                objects_per_image=OBJECTS_PER_IMAGE, classes=drawn)[0]
        record = dict(id=i + 1, file_name=f'{split}/{i:06d}.jpg', width=w, height=h,
                      scene=frame['record']['scene'])
        Image.fromarray(frame['img']).save(osp.join(out_dir, record['file_name']),
                                           quality=92)
        images.append(record)
        for ann in frame['anns']:
            ann = dict(ann, category_id=remap[ann['category_id']])
            if rng.random() >= annotated_share:
                for key in ('distance_m', 'distance_zone', 'urgency'):
                    ann.pop(key)
            annotations.append(dict(id=len(annotations) + 1, image_id=i + 1, **ann))
    coco = dict(info=dict(description=f'MaxSight variant street scenes ({split})',
                          version='1.0', seed=seed, year=2026, annotated_share=annotated_share),
                licenses=[], images=images, annotations=annotations,
                categories=[dict(id=vid, name=name, supercategory='street', hazard_prior=prior)
                            for _, vid, name, prior in VARIANT_CLASSES])
    ann_file = osp.join(out_dir, 'annotations', f'{split}.json')
    with open(ann_file + '.tmp', 'w') as f:
        json.dump(coco, f, separators=(',', ':'))
    os.replace(ann_file + '.tmp', ann_file)
    return ann_file


def generate_variant_dataset(out_dir: str, num_train: int = 1200, num_val: int = 300,
                             num_test: int = 300, seed: int = 0,
                             annotated_share: float = 0.6) -> Dict[str, str]:
    """Splits ``train``, ``val`` and the held-out ``test`` of the variant; {split: file}."""
    return {split: generate_variant_split(out_dir, split, n, seed, annotated_share)
            for split, n in (('train', num_train), ('val', num_val), ('test', num_test))
            if n > 0}

"""Occlusion augmentation: hide a side of some objects behind a patch, keeping their boxes."""
from typing import Any, Dict, Tuple

import numpy as np

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomOcclusion:
    """Training augmentation that teaches amodal boxes: each non-ignored object of at least
    ``min_size`` pixels a side is, with probability ``prob``, partly covered from one side
    (left, right, top or bottom, uniformly) by a patch copied from a random place in the
    same image, as an object in front would cover it.

    The patch spans the object's whole extent along that side and a fraction of its box
    drawn uniformly from ``cover`` = (low, high) across it. The boxes (xyxy pixels) and all
    labels are unchanged: the target stays the full (amodal) box, as in COCO-style
    annotations of occluded objects. Apply after ``Resize``; randomness from numpy's global
    stream (seeded per epoch by the runner, as ``RandomFlip``).
    """

    def __init__(self, prob: float = 0.3, cover: Tuple[float, float] = (0.2, 0.5),
                 min_size: float = 8.0):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomOcclusion: prob must be in [0, 1], got {prob}')
        low, high = (float(c) for c in cover)
        if not 0 < low <= high < 1:
            raise ValueError(f'RandomOcclusion: cover must be (low, high) with '
                             f'0 < low <= high < 1, got {cover}')
        if min_size < 1:
            raise ValueError(f'RandomOcclusion: min_size must be >= 1 pixel, got {min_size}')
        self.prob, self.cover, self.min_size = prob, (low, high), float(min_size)

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        boxes = results.get('gt_bboxes')
        if boxes is None or len(boxes) == 0 or self.prob == 0:
            return results
        img = results['img']
        h, w = img.shape[:2]
        ignore = results.get('gt_ignore_flags', np.zeros(len(boxes), bool))
        out = None
        for box, ignored in zip(boxes, ignore):
            x1, y1 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
            x2, y2 = min(w, int(round(box[2]))), min(h, int(round(box[3])))
            if ignored or min(x2 - x1, y2 - y1) < self.min_size:
                continue
            if np.random.rand() >= self.prob:
                continue
            side = np.random.randint(4)
            frac = np.random.uniform(*self.cover)
            if side < 2:  # left / right: a vertical band
                band = max(1, int(round(frac * (x2 - x1))))
                px1 = x1 if side == 0 else x2 - band
                py1, pw, ph = y1, band, y2 - y1
            else:  # top / bottom: a horizontal band
                band = max(1, int(round(frac * (y2 - y1))))
                py1 = y1 if side == 2 else y2 - band
                px1, pw, ph = x1, x2 - x1, band
            sx = np.random.randint(0, w - pw + 1)
            sy = np.random.randint(0, h - ph + 1)
            if out is None:
                out = img.copy()
            out[py1:py1 + ph, px1:px1 + pw] = img[sy:sy + ph, sx:sx + pw]
        if out is not None:
            results['img'] = out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, cover={self.cover}, '
                f'min_size={self.min_size})')

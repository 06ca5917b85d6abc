"""Geometric transforms: aspect-preserving resize (one scale or a random choice of several)
and horizontal flip."""
from typing import Any, Dict, Sequence, Tuple

import cv2
import numpy as np

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class Resize:
    """Resize so the image fits in ``scale`` = (max_w, max_h) keeping its aspect ratio.

    Boxes (xyxy pixels) are scaled with the image; ``scale_factor`` = (sx, sy) maps
    original pixels to resized pixels.
    """

    def __init__(self, scale: Tuple[int, int], keep_ratio: bool = True):
        self.scale = tuple(scale)
        self.keep_ratio = keep_ratio

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        return self._resize(results, self.scale)

    def _resize(self, results: Dict[str, Any], scale: Tuple[int, int]) -> Dict[str, Any]:
        img = results['img']
        h, w = img.shape[:2]
        if self.keep_ratio:
            factor = min(scale[0] / w, scale[1] / h)
            new_w, new_h = max(1, int(round(w * factor))), max(1, int(round(h * factor)))
        else:
            new_w, new_h = scale
        if (new_w, new_h) != (w, h):
            img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        sx, sy = new_w / w, new_h / h
        results['img'] = img
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (sx, sy)
        if 'gt_bboxes' in results:
            results['gt_bboxes'] = (results['gt_bboxes'] *
                                    np.array([sx, sy, sx, sy], np.float32))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale}, keep_ratio={self.keep_ratio})'


@TRANSFORMS.register_module()
class RandomChoiceResize(Resize):
    """Multi-scale training: :class:`Resize` to one of ``scales`` = [(max_w, max_h), ...],
    chosen uniformly per image from numpy's global generator (seeded per epoch by
    ``EpochRandomnessHook``, so a resumed run picks the same scales)."""

    def __init__(self, scales: Sequence[Tuple[int, int]], keep_ratio: bool = True):
        scales = [tuple(s) for s in scales]
        if not scales or any(len(s) != 2 or min(s) < 1 for s in scales):
            raise ValueError(f'RandomChoiceResize: scales must be (max_w, max_h) pairs of '
                             f'positive integers, got {scales}')
        super().__init__(scales[0], keep_ratio)
        self.scales = scales

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        return self._resize(results, self.scales[np.random.randint(len(self.scales))])

    def __repr__(self) -> str:
        return f'RandomChoiceResize(scales={self.scales}, keep_ratio={self.keep_ratio})'


@TRANSFORMS.register_module()
class RandomFlip:
    """Flip image and boxes horizontally with probability ``prob``; stereo audio already
    loaded ([2, F, T]) has its ears swapped, as the mirrored scene would sound, and the
    hazards beside the view (``beside_hazard``: left, right) their sides.

    Urgency is unchanged: its centrality term is symmetric about the image centre.
    """

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomFlip: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        if flip:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            if 'gt_bboxes' in results:
                w = results['img'].shape[1]
                b = results['gt_bboxes'].copy()
                b[:, 0], b[:, 2] = w - results['gt_bboxes'][:, 2], w - results['gt_bboxes'][:, 0]
                results['gt_bboxes'] = b
            if 'audio' in results:
                results['audio'] = np.ascontiguousarray(results['audio'][::-1])
            if results.get('beside_hazard') is not None:  # (left, right) trade places
                results['beside_hazard'] = np.ascontiguousarray(results['beside_hazard'][::-1])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'

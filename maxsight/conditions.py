"""The vision conditions of DESIGN section 5 and the radial geometry they share.

A neutral module: the condition transforms (``maxsight.datasets``) and the model's
condition input and spatial priority (``maxsight.models``) both import it, neither
imports the other.
"""
from typing import Tuple

import numpy as np

VISION_CONDITIONS: Tuple[str, ...] = (
    'glaucoma', 'amd', 'cataracts', 'color_blindness', 'diabetic_retinopathy',
    'retinitis_pigmentosa', 'cvi', 'amblyopia', 'strabismus', 'refractive_errors', 'myopia',
    'hyperopia', 'astigmatism', 'presbyopia')


def condition_index(name: str) -> int:
    """1-based index of a condition (0 means no condition), for the model's embedding."""
    if name not in VISION_CONDITIONS:
        raise ValueError(f'unknown vision condition {name!r}; choose one of: '
                         f'{", ".join(VISION_CONDITIONS)}')
    return VISION_CONDITIONS.index(name) + 1


def radial_distance(h: int, w: int) -> np.ndarray:
    """[h, w] distance of each pixel centre from the image centre, 0 there, 1 at corners."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((ys + 0.5 - h / 2) / (h / 2), (xs + 0.5 - w / 2) / (w / 2))
    return r / np.sqrt(2.0)


def centre_radius(cx, cy):
    """Distance of normalised points (cx, cy) in [0, 1] (numpy arrays or tensors) from the
    image centre, scaled as :func:`radial_distance`: 0 at the centre, 1 at the corners."""
    return (((cx - 0.5) ** 2 + (cy - 0.5) ** 2) * 2) ** 0.5

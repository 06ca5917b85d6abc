"""Lighting: a random training augmentation and the seeded evaluation corruptions.

Corruptions (DESIGN section 6; severities 1-5, each monotone in the quantity it changes):

==============  ===============================================  ===========================
name            operation at severity s                          monotone quantity
==============  ===============================================  ===========================
low_light       gain (0.6, 0.45, 0.3, 0.2, 0.12), gamma 1 + 0.1s,  mean luma falls
                Gaussian sensor noise std 2s
overexposure    gain (1.3, 1.6, 2.0, 2.5, 3.2)                   mean luma rises
low_contrast    v -> mean + c (v - mean), c (0.7 .. 0.2)          luma std falls
glare           additive flare, radius (0.15 .. 0.35) of the     share of pixels with
                diagonal, peak (120 .. 320)                      Y >= 250 rises
==============  ===============================================  ===========================

Randomness (noise, flare position) comes from a generator seeded by (seed, severity,
image id), so evaluations are reproducible.
"""
from typing import Any, Callable, Dict

import numpy as np

from ...registry import TRANSFORMS


def _clip(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _check_severity(severity: int) -> int:
    if severity not in (1, 2, 3, 4, 5):
        raise ValueError(f'corruption severity must be 1..5, got {severity!r}')
    return severity - 1


def add_flare(img: np.ndarray, cx: float, cy: float, radius: float, peak: float) -> np.ndarray:
    """Add a Gaussian flare centred at (cx, cy) pixels with 1/e radius ``radius`` pixels."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    flare = peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (radius ** 2))
    return img.astype(np.float32) + flare[..., None]


def low_light(img: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    s = _check_severity(severity)
    gain = (0.6, 0.45, 0.3, 0.2, 0.12)[s]
    out = 255.0 * (img.astype(np.float32) / 255.0) ** (1 + 0.1 * (s + 1)) * gain
    out = out + rng.normal(0, 2.0 * (s + 1), size=img.shape[:2])[..., None]
    return _clip(out)


def overexposure(img: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    s = _check_severity(severity)
    return _clip(img.astype(np.float32) * (1.3, 1.6, 2.0, 2.5, 3.2)[s])


def low_contrast(img: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    s = _check_severity(severity)
    c = (0.7, 0.55, 0.4, 0.3, 0.2)[s]
    f = img.astype(np.float32)
    mean = f.mean(axis=(0, 1), keepdims=True)
    return _clip(mean + c * (f - mean))


def glare(img: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    s = _check_severity(severity)
    h, w = img.shape[:2]
    radius = (0.15, 0.2, 0.25, 0.3, 0.35)[s] * float(np.hypot(h, w))
    peak = (120.0, 170.0, 220.0, 270.0, 320.0)[s]
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.5) * h
    return _clip(add_flare(img, cx, cy, radius, peak))


LIGHTING_CORRUPTIONS: Dict[str, Callable[[np.ndarray, int, np.random.Generator], np.ndarray]] = {
    'low_light': low_light, 'overexposure': overexposure, 'low_contrast': low_contrast,
    'glare': glare}


def corrupt(img: np.ndarray, name: str, severity: int, seed: int = 0, image_id: int = 0
            ) -> np.ndarray:
    """Apply corruption ``name`` at ``severity`` with a generator seeded by
    (seed, severity, image_id). RGB uint8 in and out."""
    if name not in LIGHTING_CORRUPTIONS:
        raise ValueError(f'unknown lighting corruption {name!r}; choose one of: '
                         f'{", ".join(LIGHTING_CORRUPTIONS)}')
    rng = np.random.default_rng([seed, severity, abs(int(image_id))])
    return LIGHTING_CORRUPTIONS[name](img, severity, rng)


@TRANSFORMS.register_module()
class LightingCorruption:
    """Evaluation transform: corrupt ``results['img']`` with ``name`` at ``severity``.

    Records ``corruption`` = 'name:severity' in the results (and the data sample).
    """

    def __init__(self, name: str, severity: int, seed: int = 0):
        if name not in LIGHTING_CORRUPTIONS:
            raise ValueError(f'unknown lighting corruption {name!r}; choose one of: '
                             f'{", ".join(LIGHTING_CORRUPTIONS)}')
        _check_severity(severity)
        self.name, self.severity, self.seed = name, severity, seed

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        results['img'] = corrupt(results['img'], self.name, self.severity, self.seed,
                                 results.get('img_id', 0))
        results['corruption'] = f'{self.name}:{self.severity}'
        return results

    def __repr__(self) -> str:
        return f'LightingCorruption(name={self.name!r}, severity={self.severity}, seed={self.seed})'


@TRANSFORMS.register_module()
class RandomLighting:
    """Training augmentation: with probability ``prob`` apply a random exposure gain, a
    random gamma, Gaussian sensor noise and, with probability ``glare_prob``, a flare.

    Ranges are (low, high) tuples sampled uniformly; gain and gamma in log space.
    """

    def __init__(self, prob: float = 0.8, exposure=(0.35, 1.8), gamma=(0.6, 1.6),
                 noise_std=(0.0, 6.0), glare_prob: float = 0.1):
        self.prob, self.exposure, self.gamma = prob, tuple(exposure), tuple(gamma)
        self.noise_std, self.glare_prob = tuple(noise_std), glare_prob

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        if np.random.rand() >= self.prob:
            return results
        img = results['img'].astype(np.float32) / 255.0
        gamma = np.exp(np.random.uniform(*np.log(self.gamma)))
        gain = np.exp(np.random.uniform(*np.log(self.exposure)))
        out = 255.0 * img ** gamma * gain
        std = np.random.uniform(*self.noise_std)
        if std > 0:
            out = out + np.random.normal(0, std, size=out.shape[:2])[..., None]
        if np.random.rand() < self.glare_prob:
            h, w = out.shape[:2]
            out = add_flare(out, np.random.uniform(0, w), np.random.uniform(0, h * 0.6),
                            np.random.uniform(0.15, 0.3) * float(np.hypot(h, w)),
                            np.random.uniform(150, 300))
        results['img'] = _clip(out)
        return results

    def __repr__(self) -> str:
        return (f'RandomLighting(prob={self.prob}, exposure={self.exposure}, '
                f'gamma={self.gamma}, noise_std={self.noise_std}, glare_prob={self.glare_prob})')

"""Vision-condition transforms: the enhancement a device would apply for a user.

One registered transform per condition of DESIGN section 5. Each works on
``results['img']`` (RGB uint8 [H, W, 3]), leaves boxes untouched (no geometry changes),
and records ``results['condition']`` so the model receives the condition too. The image
operations are deliberately simple, documented and testable:

===========================  ==============================================================
condition                    operation
===========================  ==============================================================
glaucoma                     radial gain rising towards the periphery (lost peripheral field)
amd                          radial gain rising towards the centre (central scotoma)
cataracts                    CLAHE on luma, clip limit 2.0, 8x8 tiles (haze -> local contrast)
color_blindness              daltonisation for deuteranopia (Fidaner et al.): simulated loss
                             redistributed into visible channels; greys are unchanged
diabetic_retinopathy         luma percentile stretch (1 %..99 % -> 0..255) against patchy loss
retinitis_pigmentosa         gamma lift (gamma 0.6) for night blindness
cvi                          bilateral filter: fewer background textures, edges kept
amblyopia                    global contrast gain 1.5 about the mean luma
strabismus                   edge emphasis: luma edges (Sobel) drawn darker
refractive_errors            unsharp mask (sigma 1.5, amount 1.0)
myopia                       unsharp mask weighted towards the top of the frame (far field)
hyperopia                    unsharp mask weighted towards the bottom of the frame (near)
astigmatism                  directional unsharp mask across rows (vertical blur compensated)
presbyopia                   brightness gain 1.25 plus mild sharpening (more light, near)
===========================  ==============================================================
"""
from typing import Any, Dict, Tuple

import cv2
import numpy as np

from ...conditions import VISION_CONDITIONS, condition_index, radial_distance
from ...registry import TRANSFORMS
from ..labels import luma

#: registered transform type of every condition
CONDITION_TRANSFORMS: Dict[str, str] = {}


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _scale_luma(img: np.ndarray, new_y: np.ndarray) -> np.ndarray:
    """Change luma to ``new_y`` keeping chroma ratios: RGB x (new_y / y)."""
    y = luma(img)
    gain = (new_y + 1e-3) / (y + 1e-3)
    return _to_uint8(img.astype(np.float32) * gain[..., None])


def _unsharp(img: np.ndarray, sigma: float, amount) -> np.ndarray:
    """Unsharp mask: img + amount (img - Gaussian blur of std ``sigma`` px); ``amount`` a
    number or an [H, W] map."""
    f = img.astype(np.float32)
    blurred = cv2.GaussianBlur(f, (0, 0), sigmaX=sigma, sigmaY=sigma)
    amount = amount if np.isscalar(amount) else amount[..., None]
    return _to_uint8(f + amount * (f - blurred))


class ConditionTransform:
    """Base: subclasses set ``condition`` and implement ``apply(img) -> img``."""
    condition: str = ''

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.condition:
            CONDITION_TRANSFORMS[cls.condition] = cls.__name__

    def apply(self, img: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        results['img'] = self.apply(results['img'])
        results['condition'] = self.condition
        return results

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{self.__class__.__name__}({args})'


@TRANSFORMS.register_module()
class GlaucomaPeripheralGain(ConditionTransform):
    """Luma gain ``1 + strength * r^2`` (r: 0 centre, 1 corner) brightens the periphery."""
    condition = 'glaucoma'

    def __init__(self, strength: float = 0.6):
        self.strength = strength

    def apply(self, img):
        r = radial_distance(*img.shape[:2])
        return _scale_luma(img, luma(img) * (1 + self.strength * r ** 2))


@TRANSFORMS.register_module()
class AMDCentralGain(ConditionTransform):
    """Luma gain ``1 + strength * (1 - r)^2`` brightens the centre of view."""
    condition = 'amd'

    def __init__(self, strength: float = 0.6):
        self.strength = strength

    def apply(self, img):
        r = radial_distance(*img.shape[:2])
        return _scale_luma(img, luma(img) * (1 + self.strength * (1 - r) ** 2))


@TRANSFORMS.register_module()
class CataractCLAHE(ConditionTransform):
    """Contrast-limited adaptive histogram equalisation of luma (L of Lab)."""
    condition = 'cataracts'

    def __init__(self, clip_limit: float = 2.0, tile_grid: int = 8):
        self.clip_limit, self.tile_grid = clip_limit, tile_grid

    def apply(self, img):
        lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB)
        clahe = cv2.createCLAHE(clipLimit=self.clip_limit,
                                tileGridSize=(self.tile_grid, self.tile_grid))
        lab[..., 0] = clahe.apply(np.ascontiguousarray(lab[..., 0]))
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


# RGB -> LMS (Hunt-Pointer-Estevez on linear sRGB as used for daltonisation)
_RGB2LMS = np.array([[17.8824, 43.5161, 4.11935], [3.45565, 27.1554, 3.86714],
                     [0.0299566, 0.184309, 1.46709]], np.float32)
_LMS2RGB = np.linalg.inv(_RGB2LMS).astype(np.float32)
# deuteranopia: M is reconstructed from L and S (Vienot/Brettel style projection)
_DEUTERANOPIA = np.array([[1, 0, 0], [0.494207, 0, 1.24827], [0, 0, 1]], np.float32)
# error redistribution (Fidaner et al.): lost red-green contrast moved into G and B
_ERR_SHIFT = np.array([[0, 0, 0], [0.7, 1, 0], [0.7, 0, 1]], np.float32)


@TRANSFORMS.register_module()
class ColorBlindDaltonize(ConditionTransform):
    """Daltonisation for deuteranopia: ``out = img + shift(img - simulate(img))``.

    Greys map to themselves under the simulation (zero error), so they are unchanged.
    """
    condition = 'color_blindness'

    def apply(self, img):
        f = img.reshape(-1, 3).astype(np.float32)
        sim = f @ (_LMS2RGB @ _DEUTERANOPIA @ _RGB2LMS).T
        out = f + (f - sim) @ _ERR_SHIFT.T
        return _to_uint8(out.reshape(img.shape))


@TRANSFORMS.register_module()
class RetinopathyContrastStretch(ConditionTransform):
    """Linear luma stretch mapping the ``low``/``high`` percentiles to 0/255."""
    condition = 'diabetic_retinopathy'

    def __init__(self, low: float = 1.0, high: float = 99.0):
        self.low, self.high = low, high

    def apply(self, img):
        y = luma(img)
        lo, hi = np.percentile(y, [self.low, self.high])
        if hi - lo < 1e-3:
            return img.copy()
        return _scale_luma(img, np.clip((y - lo) / (hi - lo), 0, 1) * 255)


@TRANSFORMS.register_module()
class RPGammaLift(ConditionTransform):
    """Gamma lift ``255 * (v / 255) ** gamma`` (gamma < 1 brightens shadows)."""
    condition = 'retinitis_pigmentosa'

    def __init__(self, gamma: float = 0.6):
        self.gamma = gamma

    def apply(self, img):
        lut = _to_uint8(255 * (np.arange(256) / 255.0) ** self.gamma)
        return lut[img]


@TRANSFORMS.register_module()
class CVISimplify(ConditionTransform):
    """Bilateral filter (diameter 7, sigma colour 40, sigma space 5): flattens textures
    and clutter while keeping object outlines."""
    condition = 'cvi'

    def __init__(self, diameter: int = 7, sigma_color: float = 40.0, sigma_space: float = 5.0):
        self.diameter, self.sigma_color, self.sigma_space = diameter, sigma_color, sigma_space

    def apply(self, img):
        return cv2.bilateralFilter(img, self.diameter, self.sigma_color, self.sigma_space)


@TRANSFORMS.register_module()
class AmblyopiaContrastGain(ConditionTransform):
    """Contrast gain about the mean: ``mean + gain * (v - mean)`` per channel."""
    condition = 'amblyopia'

    def __init__(self, gain: float = 1.5):
        self.gain = gain

    def apply(self, img):
        f = img.astype(np.float32)
        mean = f.mean(axis=(0, 1), keepdims=True)
        return _to_uint8(mean + self.gain * (f - mean))


@TRANSFORMS.register_module()
class StrabismusEdgeEmphasis(ConditionTransform):
    """Darken pixels on luma edges by ``strength`` x normalised Sobel magnitude, so outlines
    stay salient with unstable fixation; flat regions are unchanged."""
    condition = 'strabismus'

    def __init__(self, strength: float = 0.6):
        self.strength = strength

    def apply(self, img):
        y = luma(img)
        mag = np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))
        edge = np.clip(mag / 255.0, 0, 1)
        return _to_uint8(img.astype(np.float32) * (1 - self.strength * edge)[..., None])


@TRANSFORMS.register_module()
class RefractiveSharpen(ConditionTransform):
    """Unsharp mask: ``v + amount * (v - gaussian(v, sigma))``."""
    condition = 'refractive_errors'

    def __init__(self, sigma: float = 1.5, amount: float = 1.0):
        self.sigma, self.amount = sigma, amount

    def apply(self, img):
        return _unsharp(img, self.sigma, self.amount)


def _vertical_ramp(h: int, w: int, top: float, bottom: float) -> np.ndarray:
    return np.repeat(np.linspace(top, bottom, h, dtype=np.float32)[:, None], w, axis=1)


@TRANSFORMS.register_module()
class MyopiaFarSharpen(ConditionTransform):
    """Unsharp mask whose amount falls from ``amount`` at the top row (far field in a
    street view) to 0 at the bottom row."""
    condition = 'myopia'

    def __init__(self, sigma: float = 1.5, amount: float = 1.5):
        self.sigma, self.amount = sigma, amount

    def apply(self, img):
        h, w = img.shape[:2]
        return _unsharp(img, self.sigma, _vertical_ramp(h, w, self.amount, 0.0))


@TRANSFORMS.register_module()
class HyperopiaNearSharpen(ConditionTransform):
    """Unsharp mask rising from 0 at the top row to ``amount`` at the bottom (near field)."""
    condition = 'hyperopia'

    def __init__(self, sigma: float = 1.5, amount: float = 1.5):
        self.sigma, self.amount = sigma, amount

    def apply(self, img):
        h, w = img.shape[:2]
        return _unsharp(img, self.sigma, _vertical_ramp(h, w, 0.0, self.amount))


@TRANSFORMS.register_module()
class AstigmatismDirectionalSharpen(ConditionTransform):
    """Unsharp mask along the vertical axis only (compensates a vertical blur): horizontal
    edges gain contrast, vertical edges do not."""
    condition = 'astigmatism'

    def __init__(self, sigma: float = 2.0, amount: float = 1.2):
        self.sigma, self.amount = sigma, amount

    def apply(self, img):
        k = 2 * int(3 * self.sigma) + 1
        f = img.astype(np.float32)
        blurred = cv2.GaussianBlur(f, (1, k), sigmaX=1e-6, sigmaY=self.sigma)
        return _to_uint8(f + self.amount * (f - blurred))


@TRANSFORMS.register_module()
class PresbyopiaBrightSharpen(ConditionTransform):
    """Brightness gain ``gain`` (more light) followed by a mild unsharp mask."""
    condition = 'presbyopia'

    def __init__(self, gain: float = 1.25, amount: float = 0.5):
        self.gain, self.amount = gain, amount

    def apply(self, img):
        return _unsharp(_to_uint8(img.astype(np.float32) * self.gain), 1.0, self.amount)


def condition_transform_cfg(name: str) -> dict:
    """Config dict of the transform registered for condition ``name``."""
    condition_index(name)  # validates the name
    return dict(type=CONDITION_TRANSFORMS[name])


@TRANSFORMS.register_module()
class RandomVisionCondition:
    """Condition-aware training: each sample gets one of ``conditions`` (all 14 by default),
    drawn uniformly from numpy's global generator (seeded per epoch, so a resumed run draws
    the same), or none with probability ``none_prob``. A drawn condition's transform is
    applied and ``results['condition']`` set, so the sample also reaches the model's FiLM
    embedding and the loss' spatial priority exactly as with ``--condition NAME``."""

    def __init__(self, conditions: Tuple[str, ...] = tuple(VISION_CONDITIONS),
                 none_prob: float = 1.0 / (len(VISION_CONDITIONS) + 1)):
        conditions = tuple(conditions)
        if not conditions:
            raise ValueError('RandomVisionCondition: conditions is empty')
        for name in conditions:
            condition_index(name)  # an unknown name fails at build
        if not 0.0 <= none_prob < 1.0:
            raise ValueError(f'RandomVisionCondition: none_prob must be in [0, 1), got '
                             f'{none_prob}')
        self.conditions, self.none_prob = conditions, float(none_prob)
        self.transforms = {name: TRANSFORMS.build(condition_transform_cfg(name))
                           for name in conditions}

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        if np.random.rand() < self.none_prob:
            return results
        name = self.conditions[np.random.randint(len(self.conditions))]
        return self.transforms[name](results)

    def __repr__(self) -> str:
        return (f'RandomVisionCondition(conditions={list(self.conditions)}, '
                f'none_prob={self.none_prob:g})')

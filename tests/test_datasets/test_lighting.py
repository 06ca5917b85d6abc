import numpy as np
import pytest

from maxsight.datasets.labels import luma
from maxsight.datasets.transforms import LIGHTING_CORRUPTIONS, RandomLighting, corrupt
from maxsight.registry import TRANSFORMS


def _img():
    rng = np.random.default_rng(0)
    return rng.integers(30, 220, size=(48, 64, 3)).astype(np.uint8)


QUANTITY = {
    'low_light': (lambda y: -y.mean()),
    'overexposure': (lambda y: y.mean()),
    'low_contrast': (lambda y: -y.std()),
    'glare': (lambda y: (y >= 250).mean()),
}


@pytest.mark.parametrize('name', sorted(LIGHTING_CORRUPTIONS))
def test_severity_is_monotone(name):
    img = _img()
    values = [QUANTITY[name](luma(img))]
    values += [QUANTITY[name](luma(corrupt(img, name, s, seed=0, image_id=3)))
               for s in range(1, 6)]
    assert all(b > a for a, b in zip(values, values[1:])), values


def test_seeded_and_validated():
    img = _img()
    a = corrupt(img, 'low_light', 3, seed=1, image_id=7)
    assert np.array_equal(a, corrupt(img, 'low_light', 3, seed=1, image_id=7))
    assert not np.array_equal(a, corrupt(img, 'low_light', 3, seed=2, image_id=7))
    with pytest.raises(ValueError, match='severity must be 1..5'):
        corrupt(img, 'glare', 6)
    with pytest.raises(ValueError, match='unknown lighting corruption'):
        TRANSFORMS.build(dict(type='LightingCorruption', name='fog', severity=1))
    out = TRANSFORMS.build(dict(type='LightingCorruption', name='glare', severity=2))(
        dict(img=img, img_id=7))
    assert out['corruption'] == 'glare:2'


def test_random_lighting_changes_exposure_in_both_directions():
    np.random.seed(0)
    aug = RandomLighting(prob=1.0, glare_prob=0.0)
    img = np.full((16, 16, 3), 110, np.uint8)
    means = [luma(aug(dict(img=img.copy()))['img']).mean() for _ in range(40)]
    assert min(means) < 80 and max(means) > 150


def _assert_rounded_equal(out, ref):
    """Equal after rounding, but for the odd pixel float32 rounds across a .5 that float64
    does not (truncating instead of rounding would change about half of them)."""
    diff = np.abs(out.astype(np.float64) - ref)
    assert diff.max() <= 1 and (diff == 0).mean() >= 0.97, (diff.max(), (diff == 0).mean())


# The table of the module docstring, in float64; s = severity 1..5.
def _reference(img, name, s, seed, image_id):
    f = img.astype(np.float64)
    rng = np.random.default_rng([seed, s, image_id])
    h, w = img.shape[:2]
    if name == 'low_light':
        gain = (0.6, 0.45, 0.3, 0.2, 0.12)[s - 1]
        out = 255 * (f / 255) ** (1 + 0.1 * s) * gain
        out = out + rng.normal(0, 2.0 * s, size=(h, w))[..., None]
    elif name == 'overexposure':
        out = f * (1.3, 1.6, 2.0, 2.5, 3.2)[s - 1]
    elif name == 'low_contrast':
        c = (0.7, 0.55, 0.4, 0.3, 0.2)[s - 1]
        mean = f.reshape(-1, 3).mean(0)
        out = mean + c * (f - mean)
    else:
        radius = (0.15, 0.2, 0.25, 0.3, 0.35)[s - 1] * np.hypot(h, w)
        peak = 120.0 + 50.0 * (s - 1)
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.5) * h
        yy, xx = np.mgrid[0:h, 0:w]
        out = f + (peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / radius ** 2))[..., None]
    return np.clip(np.round(out), 0, 255)


@pytest.mark.parametrize('name', sorted(LIGHTING_CORRUPTIONS))
@pytest.mark.parametrize('severity', [1, 2, 3, 4, 5])
def test_corruption_equals_the_documented_operation(name, severity):
    img = _img()
    out = corrupt(img, name, severity, seed=4, image_id=-9)  # the id's sign is dropped
    ref = _reference(img, name, severity, seed=4, image_id=9)
    assert out.dtype == np.uint8 and out.shape == img.shape
    _assert_rounded_equal(out, ref)


def test_lighting_corruption_transform_uses_seed_severity_and_image_id():
    img = _img()
    t = TRANSFORMS.build(dict(type='LightingCorruption', name='low_light', severity=4, seed=2))
    out = t(dict(img=img.copy(), img_id=5))
    assert np.array_equal(out['img'], corrupt(img, 'low_light', 4, seed=2, image_id=5))
    assert out['corruption'] == 'low_light:4'
    no_id = t(dict(img=img.copy()))['img']
    assert np.array_equal(no_id, corrupt(img, 'low_light', 4, seed=2, image_id=0))
    assert repr(t) == "LightingCorruption(name='low_light', severity=4, seed=2)"
    with pytest.raises(ValueError, match='severity must be 1..5'):
        TRANSFORMS.build(dict(type='LightingCorruption', name='glare', severity=0))
    with pytest.raises(ValueError, match="unknown lighting corruption 'fog'; choose one of: "
                                         "low_light, overexposure, low_contrast, glare"):
        corrupt(img, 'fog', 1)


def _random_lighting_reference(img, prob, exposure, gamma, noise_std, glare_prob):
    """RandomLighting's documented sampling in float64, drawing from the global numpy
    generator in the transform's order."""
    if np.random.rand() >= prob:
        return img
    f = img.astype(np.float64) / 255
    g = np.exp(np.random.uniform(np.log(gamma[0]), np.log(gamma[1])))
    k = np.exp(np.random.uniform(np.log(exposure[0]), np.log(exposure[1])))
    out = 255 * f ** g * k
    std = np.random.uniform(*noise_std)
    if std > 0:
        out = out + np.random.normal(0, std, size=img.shape[:2])[..., None]
    if np.random.rand() < glare_prob:
        h, w = img.shape[:2]
        cx, cy = np.random.uniform(0, w), np.random.uniform(0, 0.6 * h)
        radius = np.random.uniform(0.15, 0.3) * np.hypot(h, w)
        peak = np.random.uniform(150, 300)
        yy, xx = np.mgrid[0:h, 0:w]
        out = out + (peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / radius ** 2))[..., None]
    return np.clip(np.round(out), 0, 255)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(prob=1.0, exposure=(0.5, 0.9), gamma=(1.2, 1.5), noise_std=(1.0, 3.0),
         glare_prob=1.0),
    dict(prob=1.0, noise_std=(0.0, 0.0), glare_prob=0.0),
    dict(prob=0.0)])
def test_random_lighting_equals_its_documented_sampling(kwargs):
    img = _img()
    aug = RandomLighting(**kwargs)
    defaults = dict(prob=0.8, exposure=(0.35, 1.8), gamma=(0.6, 1.6), noise_std=(0.0, 6.0),
                    glare_prob=0.1)
    params = dict(defaults, **kwargs)
    for seed in range(6):
        np.random.seed(seed)
        out = aug(dict(img=img.copy()))['img']
        np.random.seed(seed)
        ref = _random_lighting_reference(img, **params)
        assert out.dtype == np.uint8
        _assert_rounded_equal(out, ref)
    assert repr(RandomLighting()) == ('RandomLighting(prob=0.8, exposure=(0.35, 1.8), '
                                      'gamma=(0.6, 1.6), noise_std=(0.0, 6.0), glare_prob=0.1)')


def test_corruptions_default_to_seed_zero_and_image_zero():
    from maxsight.datasets.transforms.lighting import LightingCorruption, corrupt
    img = (np.random.default_rng(0).random((24, 32, 3)) * 255).astype(np.uint8)
    for name in ('low_light', 'glare'):
        assert np.array_equal(corrupt(img, name, 3), corrupt(img, name, 3, seed=0, image_id=0))
        assert not np.array_equal(corrupt(img, name, 3), corrupt(img, name, 3, seed=1))
        assert not np.array_equal(corrupt(img, name, 3), corrupt(img, name, 3, image_id=1))
    a = LightingCorruption('low_light', 2)(dict(img=img.copy(), img_id=0))['img']
    b = LightingCorruption('low_light', 2, seed=0)(dict(img=img.copy(), img_id=0))['img']
    assert np.array_equal(a, b)

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

"""Every vision-condition transform against its documented operation, computed here
independently (numpy in float64, or the reference OpenCV call with the documented
parameters) on one seeded image: the whole output, to within the final rounding."""
import cv2
import numpy as np
import pytest

from maxsight.registry import TRANSFORMS

H, W = 24, 32


@pytest.fixture(scope='module')
def img():
    rng = np.random.default_rng(11)
    base = rng.integers(20, 236, (H, W, 3)).astype(np.uint8)
    base[6:14, 8:20] = (200, 40, 60)  # a red object with edges
    return base


def _y(img):
    f = img.astype(np.float64)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def _radius():
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    return np.hypot((ys + 0.5 - H / 2) / (H / 2), (xs + 0.5 - W / 2) / (W / 2)) / np.sqrt(2)


def _with_luma(img, new_y):
    y = _y(img)
    return img.astype(np.float64) * ((new_y + 1e-3) / (y + 1e-3))[..., None]


def _unsharp(f, sigma, amount):
    blurred = cv2.GaussianBlur(f.astype(np.float32), (0, 0), sigmaX=sigma, sigmaY=sigma)
    return f + amount * (f - blurred.astype(np.float64))


def _u8(x):
    return np.clip(np.round(x), 0, 255)


def _run(name, img):
    from maxsight.datasets.transforms.vision_conditions import CONDITION_TRANSFORMS
    t = TRANSFORMS.build(dict(type=CONDITION_TRANSFORMS[name]))
    out = t(dict(img=img.copy()))
    assert out['condition'] == name
    return out['img'].astype(np.float64)


def _expected(name, img):
    f = img.astype(np.float64)
    r = _radius()
    if name == 'glaucoma':
        return _u8(_with_luma(img, _y(img) * (1 + 0.6 * r ** 2)))
    if name == 'amd':
        return _u8(_with_luma(img, _y(img) * (1 + 0.6 * (1 - r) ** 2)))
    if name == 'cataracts':
        lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB)
        lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(
            np.ascontiguousarray(lab[..., 0]))
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB).astype(np.float64)
    if name == 'color_blindness':
        rgb2lms = np.array([[17.8824, 43.5161, 4.11935], [3.45565, 27.1554, 3.86714],
                            [0.0299566, 0.184309, 1.46709]])
        deut = np.array([[1, 0, 0], [0.494207, 0, 1.24827], [0, 0, 1]])
        shift = np.array([[0, 0, 0], [0.7, 1, 0], [0.7, 0, 1]])
        flat = f.reshape(-1, 3)
        sim = flat @ (np.linalg.inv(rgb2lms) @ deut @ rgb2lms).T
        return _u8((flat + (flat - sim) @ shift.T).reshape(f.shape))
    if name == 'diabetic_retinopathy':
        y = _y(img)
        lo, hi = np.percentile(y, [1, 99])
        return _u8(_with_luma(img, np.clip((y - lo) / (hi - lo), 0, 1) * 255))
    if name == 'retinitis_pigmentosa':
        return _u8(255 * (f / 255) ** 0.6)
    if name == 'cvi':
        return cv2.bilateralFilter(img, 7, 40.0, 5.0).astype(np.float64)
    if name == 'amblyopia':
        mean = f.mean(axis=(0, 1), keepdims=True)
        return _u8(mean + 1.5 * (f - mean))
    if name == 'strabismus':
        y = _y(img).astype(np.float32)
        mag = np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))
        return _u8(f * (1 - 0.6 * np.clip(mag / 255.0, 0, 1))[..., None])
    if name == 'refractive_errors':
        return _u8(_unsharp(f, 1.5, 1.0))
    if name in ('myopia', 'hyperopia'):
        ramp = np.linspace(1.5, 0.0, H) if name == 'myopia' else np.linspace(0.0, 1.5, H)
        return _u8(_unsharp(f, 1.5, ramp[:, None, None]))
    if name == 'astigmatism':
        blurred = cv2.GaussianBlur(img.astype(np.float32), (1, 13), sigmaX=1e-6, sigmaY=2.0)
        return _u8(f + 1.2 * (f - blurred))
    if name == 'presbyopia':
        return _u8(_unsharp(_u8(f * 1.25), 1.0, 0.5))
    raise AssertionError(name)


@pytest.mark.parametrize('name', [
    'glaucoma', 'amd', 'cataracts', 'color_blindness', 'diabetic_retinopathy',
    'retinitis_pigmentosa', 'cvi', 'amblyopia', 'strabismus', 'refractive_errors', 'myopia',
    'hyperopia', 'astigmatism', 'presbyopia'])
def test_transform_equals_its_documented_operation(name, img):
    out, expected = _run(name, img), _expected(name, img)
    diff = np.abs(out - expected)
    assert diff.max() <= 1.0, (name, diff.max())  # float32 vs float64 rounding at .5
    assert (diff > 0).mean() < 0.02, name
    assert not np.array_equal(out, img.astype(np.float64)), name  # it does something


def test_hand_values_of_the_simplest_operations():
    px = np.full((2, 2, 3), 64, np.uint8)
    rp = _run('retinitis_pigmentosa', px)
    assert rp[0, 0, 0] == round(255 * (64 / 255) ** 0.6)  # 111: shadows lifted
    amb = np.array([[[100, 100, 100], [200, 200, 200]]], np.uint8)
    assert _run('amblyopia', amb)[0, :, 0].tolist() == [75.0, 225.0]  # 150 -+ 1.5 x 50
    grey = np.full((4, 4, 3), 128, np.uint8)
    assert np.array_equal(_run('color_blindness', grey), grey.astype(np.float64))


def test_cataract_clahe_uses_its_clip_limit_and_grid_on_a_low_contrast_image():
    """On a low-contrast image (where CLAHE's clip limit binds) the output equals OpenCV's
    CLAHE of L with clip 2 and an 8x8 grid, and differs from clip 3 or a 4x4 grid."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:256, 0:384]
    base = 100 + 20 * (xx / 384) + 10 * (yy / 256) + rng.normal(0, 2, (256, 384))
    img = np.clip(np.stack([base, base * 0.9, base * 1.1], -1), 0, 255).astype(np.uint8)

    def clahe(clip, grid):
        lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB)
        lab[..., 0] = cv2.createCLAHE(clipLimit=clip, tileGridSize=(grid, grid)).apply(
            np.ascontiguousarray(lab[..., 0]))
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    out = _run('cataracts', img)
    assert np.array_equal(out, clahe(2.0, 8))
    assert not np.array_equal(out, clahe(3.0, 8)) and not np.array_equal(out, clahe(2.0, 4))

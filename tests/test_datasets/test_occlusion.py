import numpy as np
import pytest

from maxsight.datasets.transforms import RandomOcclusion


def _scene():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(48, 64, 3)).astype(np.uint8)
    boxes = np.array([[10, 8, 40, 38],   # 30 x 30: occluded
                      [50, 2, 55, 40],   # 5 px wide: below min_size, untouched
                      [44, 40, 62, 47]], np.float32)  # ignored (iscrowd): untouched
    return dict(img=img.copy(), gt_bboxes=boxes.copy(),
                gt_ignore_flags=np.array([False, False, True])), img, boxes


def _find_offset(out, img, ys, xs):
    """The (dy, dx) such that out[y, x] == img[y + dy, x + dx] on the changed pixels."""
    h, w = img.shape[:2]
    for dy in range(-ys.min(), h - ys.max()):
        for dx in range(-xs.min(), w - xs.max()):
            if (dy or dx) and np.array_equal(out[ys, xs], img[ys + dy, xs + dx]):
                return dy, dx
    return None


@pytest.mark.parametrize('seed', range(6))
def test_occludes_one_side_of_the_box_with_a_patch_of_the_image(seed):
    results, img, boxes = _scene()
    np.random.seed(seed)
    out = RandomOcclusion(prob=1.0, cover=(0.2, 0.5), min_size=8)(results)
    assert np.array_equal(out['gt_bboxes'], boxes)  # amodal boxes kept
    changed = (out['img'] != img).any(axis=2)
    ys, xs = np.nonzero(changed)
    # only inside the first box, as one band flush with one of its sides
    y1, y2, x1, x2 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    assert changed[y1:y2, x1:x2].all() and changed.sum() == (y2 - y1) * (x2 - x1)
    if (y1, y2) == (8, 38):  # vertical band, on the left or the right
        assert x1 == 10 or x2 == 40
        assert 6 <= x2 - x1 <= 15  # 0.2-0.5 of the 30 px width
    else:
        assert (x1, x2) == (10, 40) and (y1 == 8 or y2 == 38)
        assert 6 <= y2 - y1 <= 15
    # the patch is a copy of another place of the same image
    assert _find_offset(out['img'], img, ys, xs) is not None


def test_built_from_a_pipeline_config():
    from maxsight.registry import TRANSFORMS
    aug = TRANSFORMS.build(dict(type='RandomOcclusion', prob=0.5, cover=(0.1, 0.3)))
    assert (aug.prob, aug.cover, aug.min_size) == (0.5, (0.1, 0.3), 8.0)


def test_probability_zero_and_no_boxes_leave_the_image():
    results, img, _ = _scene()
    assert RandomOcclusion(prob=0.0)(results)['img'] is results['img']
    empty = dict(img=img.copy(), gt_bboxes=np.zeros((0, 4), np.float32))
    assert np.array_equal(RandomOcclusion(prob=1.0)(empty)['img'], img)


@pytest.mark.parametrize('kwargs, match', [
    (dict(prob=1.5), 'prob must be in'),
    (dict(cover=(0.5, 0.2)), 'cover must be'),
    (dict(cover=(0.0, 0.5)), 'cover must be'),
    (dict(cover=(0.2, 1.0)), 'cover must be'),
    (dict(min_size=0), 'min_size must be'),
])
def test_bad_arguments_are_one_line_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomOcclusion(**kwargs)


def _reference_occlusion(img, boxes, ignore, prob, cover, min_size):
    """The documented operation, drawing from numpy's global generator in its order: per
    object (rounded box clipped to the image; skipped if ignored or a side < min_size)
    rand < prob, then the side (0 left, 1 right, 2 top, 3 bottom), the covered fraction,
    the source corner x then y."""
    out = img.copy()
    h, w = img.shape[:2]
    for (bx1, by1, bx2, by2), ig in zip(boxes, ignore):
        x1, y1 = max(0, round(float(bx1))), max(0, round(float(by1)))
        x2, y2 = min(w, round(float(bx2))), min(h, round(float(by2)))
        if ig or min(x2 - x1, y2 - y1) < min_size or not np.random.rand() < prob:
            continue
        side, frac = np.random.randint(4), np.random.uniform(*cover)
        if side in (0, 1):
            pw, ph = max(1, round(frac * (x2 - x1))), y2 - y1
            px, py = (x1 if side == 0 else x2 - pw), y1
        else:
            pw, ph = x2 - x1, max(1, round(frac * (y2 - y1)))
            px, py = x1, (y1 if side == 2 else y2 - ph)
        sx, sy = np.random.randint(0, w - pw + 1), np.random.randint(0, h - ph + 1)
        out[py:py + ph, px:px + pw] = img[sy:sy + ph, sx:sx + pw]
    return out


@pytest.mark.parametrize('seed', range(12))
def test_occlusion_equals_the_documented_operation(seed):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, size=(40, 56, 3)).astype(np.uint8)
    # boxes past the image edges, one exactly min_size wide, one just below, one ignored
    boxes = np.array([[-3.4, 2.6, 20.2, 30.0], [30.0, -1.0, 60.0, 12.0],
                      [5.0, 20.0, 13.0, 39.0], [40.0, 20.0, 47.6, 39.0],
                      [2.0, 2.0, 50.0, 38.0]], np.float32)
    ignore = np.array([False, False, False, False, True])
    t = RandomOcclusion(prob=0.7, cover=(0.3, 0.6), min_size=8)
    np.random.seed(seed)
    out = t(dict(img=img.copy(), gt_bboxes=boxes.copy(), gt_ignore_flags=ignore))
    np.random.seed(seed)
    assert np.array_equal(out['img'], _reference_occlusion(img, boxes, ignore, 0.7,
                                                           (0.3, 0.6), 8))
    assert np.array_equal(out['gt_bboxes'], boxes)  # amodal: boxes unchanged
    # without ignore flags every box is eligible
    np.random.seed(seed)
    bare = t(dict(img=img.copy(), gt_bboxes=boxes.copy()))['img']
    np.random.seed(seed)
    assert np.array_equal(bare, _reference_occlusion(img, boxes, [False] * 5, 0.7,
                                                     (0.3, 0.6), 8))


def test_occlusion_argument_checks_and_trivial_cases():
    for kwargs, message in ((dict(prob=1.5), 'prob must be in'),
                            (dict(cover=(0.5, 0.4)), 'cover must be'),
                            (dict(cover=(0.0, 0.4)), 'cover must be'),
                            (dict(min_size=0.5), 'min_size must be >= 1')):
        with pytest.raises(ValueError, match=message):
            RandomOcclusion(**kwargs)
    RandomOcclusion(cover=(0.4, 0.4), min_size=1)  # the bounds themselves are allowed
    img = np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3)
    one = dict(img=img, gt_bboxes=np.array([[0., 0., 30., 30.]], np.float32))
    np.random.seed(0)
    assert RandomOcclusion(prob=0.0)(dict(one))['img'] is img  # nothing drawn, nothing copied
    assert RandomOcclusion(prob=1.0)(dict(img=img, gt_bboxes=np.zeros((0, 4))))['img'] is img
    np.random.seed(0)
    assert RandomOcclusion(prob=1.0)(dict(one))['img'] is not img
    assert repr(RandomOcclusion()) == 'RandomOcclusion(prob=0.3, cover=(0.2, 0.5), min_size=8.0)'


def test_a_skipped_box_does_not_end_the_pass_and_no_box_key_is_a_no_op():
    """Boxes listed after an ignored or too small one are still occluded; a thin cover
    rounds to a band of at least one pixel."""
    results, img, boxes = _scene()
    order = [2, 1, 0]  # the ignored, then the too small box, then the 30 x 30 one
    results = dict(img=img.copy(), gt_bboxes=boxes[order],
                   gt_ignore_flags=np.array([True, False, False]))
    np.random.seed(0)
    out = RandomOcclusion(prob=1.0, cover=(0.01, 0.01), min_size=8)(results)
    changed = (out['img'] != img).any(axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.any() and ys.min() >= 8 and ys.max() < 38 and xs.min() >= 10 \
        and xs.max() < 40
    # 0.01 x 30 px rounds to 0: the band is 1 px thick
    assert min(ys.max() - ys.min(), xs.max() - xs.min()) + 1 == 1
    bare = dict(img=img.copy())
    assert RandomOcclusion(prob=1.0)(bare)['img'] is bare['img']


@pytest.mark.parametrize('seed', range(10))  # both orientations, both sides
def test_a_thin_cover_is_a_one_pixel_band_on_every_side(seed):
    results, img, boxes = _scene()
    np.random.seed(seed)
    out = RandomOcclusion(prob=1.0, cover=(0.01, 0.01), min_size=8)(results)
    ys, xs = np.nonzero((out['img'] != img).any(axis=2))
    assert min(ys.max() - ys.min(), xs.max() - xs.min()) == 0  # one row or one column

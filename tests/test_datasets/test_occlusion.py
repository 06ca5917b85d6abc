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

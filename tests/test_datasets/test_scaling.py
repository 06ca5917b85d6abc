"""Geometry with factors other than 1: Resize (down, up, without keeping the ratio),
padding of a batch of mixed sizes, and predictions mapped back to original pixels."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from maxsight.datasets.transforms import PackDetInputs, Resize
from maxsight.models.data_preprocessors import DetDataPreprocessor
from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
from maxsight.structures import DetDataSample


def _resize(w, h, scale, keep_ratio=True, boxes=((10., 20., 110., 60.),)):
    res = dict(img=np.zeros((h, w, 3), np.uint8), gt_bboxes=np.array(boxes, np.float32))
    return Resize(scale, keep_ratio)(res)


@pytest.mark.parametrize('w, h, factor, out_hw', [
    (200, 100, 0.64, (64, 128)),   # down: the width binds (128 / 200)
    (64, 40, 2.0, (80, 128)),      # up: 128 / 64 = 2 < 96 / 40
    (100, 300, 0.32, (96, 32)),    # portrait: the height binds (96 / 300)
])
def test_resize_scales_image_boxes_and_records_the_factor(w, h, factor, out_hw):
    res = _resize(w, h, (128, 96))
    assert res['img'].shape[:2] == out_hw and res['img_shape'] == out_hw
    sx, sy = res['scale_factor']
    assert sx == pytest.approx(out_hw[1] / w) and sy == pytest.approx(out_hw[0] / h)
    assert sx == pytest.approx(factor, rel=0.02)
    expected = np.array([[10 * sx, 20 * sy, 110 * sx, 60 * sy]], np.float32)
    assert np.allclose(res['gt_bboxes'], expected)


def test_resize_without_keep_ratio_scales_each_axis():
    res = _resize(200, 100, (100, 80), keep_ratio=False)
    assert res['img'].shape[:2] == (80, 100) and res['scale_factor'] == (0.5, 0.8)
    assert np.allclose(res['gt_bboxes'], [[5, 16, 55, 48]])


def test_mixed_sizes_are_padded_bottom_right_to_a_multiple_of_32():
    pre = DetDataPreprocessor(pad_size_divisor=32)
    pack = PackDetInputs()
    samples = []
    for h, w, value in ((64, 128, 50), (80, 100, 200)):
        res = dict(img=np.full((h, w, 3), value, np.uint8), img_shape=(h, w),
                   ori_shape=(h, w), img_id=value)
        samples.append(pack(res))
    batch = pre(dict(inputs=[s['inputs'] for s in samples],
                     data_samples=[s['data_samples'] for s in samples]))
    x = batch['inputs']
    assert tuple(x.shape) == (2, 3, 96, 128)
    mean, std = pre.mean.flatten(), pre.std.flatten()
    for i, (h, w, value) in enumerate(((64, 128, 50), (80, 100, 200))):
        expected = ((value - mean) / std)[:, None, None].expand(3, h, w)
        assert torch.allclose(x[i, :, :h, :w], expected)
    assert float(x[0, :, 64:].abs().max()) == 0 and float(x[1, :, :, 100:].abs().max()) == 0
    assert all(s.metainfo['batch_input_shape'] == (96, 128) for s in batch['data_samples'])
    assert [s.metainfo['img_shape'] for s in batch['data_samples']] == [(64, 128), (80, 100)]


def test_predictions_go_back_to_each_images_original_pixels():
    head = MultiTaskDenseHead(num_classes=1, test_cfg=dict(
        score_thr=0.0, max_per_img=1, hazard_prob_thr=None, hazard_score_exponent=1.0))
    preds = dict(cls=torch.full((2, 1, 1), 5.0), obj=torch.full((2, 1), 5.0),
                 box=torch.tensor([[[64., 32., 96., 48.]], [[64., 32., 96., 48.]]]),
                 zone=torch.zeros(2, 1, 3), log_dist=torch.zeros(2, 1),
                 urgency=torch.zeros(2, 1, 4), scene=torch.zeros(2, 4))
    samples = [DetDataSample(metainfo=dict(img_shape=(64, 128), ori_shape=(100, 200),
                                           scale_factor=(0.64, 0.64))),
               DetDataSample(metainfo=dict(img_shape=(80, 128), ori_shape=(40, 64),
                                           scale_factor=(2.0, 2.0)))]
    out = head.predict_by_preds(preds, samples)
    assert out[0].pred_instances.bboxes[0].tolist() == pytest.approx([100., 50., 150., 75.])
    # 64 / 2 = 32 ... 96 / 2 = 48 > 40 is clipped to the original height
    assert out[1].pred_instances.bboxes[0].tolist() == pytest.approx([32., 16., 48., 24.])
    samples[1].set_metainfo(dict(scale_factor=(1.0, 1.0)))
    clipped = head.predict_by_preds(preds, samples)[1].pred_instances.bboxes
    assert clipped.tolist() == [[64., 32., 64., 40.]]  # clipped to (w 64, h 40)
    assert isinstance(out[0].pred_instances, InstanceData)


def test_random_choice_resize_picks_each_scale_from_the_seeded_generator():
    import numpy as np

    from maxsight.registry import TRANSFORMS
    t = TRANSFORMS.build(dict(type='RandomChoiceResize', scales=[(320, 320), (640, 640)]))
    seen = {}
    np.random.seed(0)
    for _ in range(40):
        out = t(dict(img=np.zeros((300, 400, 3), np.uint8),
                     gt_bboxes=np.array([[40., 30., 200., 150.]], np.float32)))
        seen[out['img_shape']] = out['gt_bboxes'][0].tolist()
    # 400x300 fitted into 320x320 (factor 0.8) and into 640x640 (factor 1.6)
    assert seen == {(240, 320): [32.0, 24.0, 160.0, 120.0],
                    (480, 640): [64.0, 48.0, 320.0, 240.0]}
    np.random.seed(0)
    expected = [(240, 320), (480, 640)][np.random.randint(2)]
    np.random.seed(0)
    assert t(dict(img=np.zeros((300, 400, 3), np.uint8)))['img_shape'] == expected
    assert repr(t) == 'RandomChoiceResize(scales=[(320, 320), (640, 640)], keep_ratio=True)'
    import pytest
    for bad in ([], [(640,)], [(0, 640)]):
        with pytest.raises(ValueError, match='scales must be'):
            TRANSFORMS.build(dict(type='RandomChoiceResize', scales=bad))


def test_resize_keeps_at_least_one_pixel_and_flip_mirrors_pixels_and_boxes():
    import numpy as np

    from maxsight.registry import TRANSFORMS
    thin = TRANSFORMS.build(dict(type='Resize', scale=(40, 40)))(
        dict(img=np.zeros((2, 400, 3), np.uint8)))  # 400 x 2 scaled by 0.1: 40 x 0.2
    assert thin['img_shape'] == (1, 40) and thin['img'].shape == (1, 40, 3)
    tall = TRANSFORMS.build(dict(type='Resize', scale=(40, 40)))(
        dict(img=np.zeros((400, 2, 3), np.uint8)))
    assert tall['img_shape'] == (40, 1)
    # bilinear: a 2x2 checker upsampled to 4x4 holds in-between values
    up = TRANSFORMS.build(dict(type='Resize', scale=(4, 4)))(
        dict(img=np.array([[[0] * 3, [200] * 3], [[200] * 3, [0] * 3]], np.uint8)))['img']
    assert 0 < int(up[1, 1, 0]) < 200
    img = np.arange(2 * 5 * 3, dtype=np.uint8).reshape(2, 5, 3)
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    out = flip(dict(img=img, gt_bboxes=np.array([[1., 0., 3., 2.]], np.float32)))
    assert out['flip'] is True and np.array_equal(out['img'], img[:, ::-1])
    assert out['img'].flags['C_CONTIGUOUS']
    assert out['gt_bboxes'].tolist() == [[2.0, 0.0, 4.0, 2.0]]
    never = TRANSFORMS.build(dict(type='RandomFlip', prob=0.0))(dict(img=img))
    assert never['flip'] is False and never['img'] is img


def test_random_flip_defaults_to_half_and_choice_resize_keeps_its_keep_ratio():
    from maxsight.datasets.transforms.geometric import RandomChoiceResize, RandomFlip
    np.random.seed(0)
    flips = sum(RandomFlip()(dict(img=np.zeros((4, 6, 3), np.uint8),
                                  gt_bboxes=np.zeros((0, 4), np.float32)))['flip']
                for _ in range(400))
    assert 170 < flips < 230
    out = RandomChoiceResize([(64, 64)], keep_ratio=False)(
        dict(img=np.zeros((30, 60, 3), np.uint8), gt_bboxes=np.zeros((0, 4), np.float32)))
    assert out['img'].shape[:2] == (64, 64)

import numpy as np
import pytest
import torch
from mmengine.config import Config

from maxsight.datasets.labels import luma
from maxsight.datasets.transforms import CONDITION_TRANSFORMS, VISION_CONDITIONS
from maxsight.datasets.transforms.vision_conditions import radial_distance
from maxsight.registry import TRANSFORMS
from maxsight.utils import apply_condition, default_work_dir


def _apply(name, img):
    out = TRANSFORMS.build(dict(type=CONDITION_TRANSFORMS[name]))(dict(img=img.copy()))
    assert out['condition'] == name and out['img'].dtype == np.uint8
    assert out['img'].shape == img.shape
    return out['img']


def _scene(seed=0, h=64, w=96):
    rng = np.random.default_rng(seed)
    img = rng.integers(40, 200, size=(h, w, 3)).astype(np.uint8)
    img[20:40, 30:60] = (200, 40, 40)
    return img


def test_all_fourteen_registered():
    assert len(VISION_CONDITIONS) == 14 and set(CONDITION_TRANSFORMS) == set(VISION_CONDITIONS)


def _center_periphery(y):
    r = radial_distance(*y.shape)
    return y[r < 0.3].mean(), y[r > 0.7].mean()


def test_glaucoma_raises_periphery_amd_raises_centre():
    img = np.full((60, 80, 3), 100, np.uint8)
    c, p = _center_periphery(luma(_apply('glaucoma', img)))
    assert p > c * 1.2
    c, p = _center_periphery(luma(_apply('amd', img)))
    assert c > p * 1.2


def test_colour_blindness_leaves_greys_and_changes_red_green():
    greys = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    assert np.array_equal(_apply('color_blindness', greys), greys)
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 200
    assert not np.array_equal(_apply('color_blindness', red), red)


def test_cataract_clahe_raises_local_contrast_of_hazy_image():
    rng = np.random.default_rng(1)
    hazy = (150 + rng.normal(0, 6, size=(64, 64, 1))).clip(0, 255).repeat(3, 2).astype(np.uint8)
    assert luma(_apply('cataracts', hazy)).std() > 1.5 * luma(hazy).std()


def test_retinopathy_stretch_spans_full_range():
    img = np.linspace(80, 160, 64 * 64).reshape(64, 64, 1).repeat(3, 2).astype(np.uint8)
    y = luma(_apply('diabetic_retinopathy', img))
    assert np.percentile(y, 1) < 3 and np.percentile(y, 99) > 252


def test_rp_gamma_lift_brightens_shadows_and_keeps_extremes():
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    out = _apply('retinitis_pigmentosa', ramp)[0, :, 0].astype(int)
    assert out[0] == 0 and out[255] == 255 and (out[1:255] >= np.arange(1, 255)).all()
    assert (np.diff(out) >= 0).all() and out[30] > 60


def test_cvi_flattens_texture():
    rng = np.random.default_rng(2)
    img = np.full((48, 48, 3), 120, np.float32) + rng.normal(0, 8, size=(48, 48, 1))
    img = img.clip(0, 255).astype(np.uint8)
    img[:, 24:] = 230  # one strong edge
    out = luma(_apply('cvi', img))
    assert out[:, :20].std() < 0.6 * luma(img)[:, :20].std()
    assert out[:, 30:].mean() - out[:, :20].mean() > 90  # the edge survives


def test_amblyopia_contrast_gain_keeps_mean():
    img = _scene()
    out = _apply('amblyopia', img)
    assert luma(out).std() > 1.3 * luma(img).std()
    assert abs(luma(out).mean() - luma(img).mean()) < 3


def test_strabismus_darkens_edges_only():
    img = np.full((32, 32, 3), 150, np.uint8)
    img[:, 16:] = 60
    out = _apply('strabismus', img)
    assert (out[:, :10] == img[:, :10]).all() and (out[:, 20:] == img[:, 20:]).all()
    assert out[:, 15].astype(int).sum() < img[:, 15].astype(int).sum()


def _edge_contrast(y, rows):
    return np.abs(np.diff(y[rows], axis=1)).sum()


def test_sharpening_family():
    img = np.full((64, 64, 3), 80, np.uint8)
    img[:, 32:] = 170  # vertical edge everywhere
    base = luma(img)
    sharp = luma(_apply('refractive_errors', img))
    assert np.abs(np.diff(sharp, axis=1)).max() > np.abs(np.diff(base, axis=1)).max()
    flat = np.full((16, 16, 3), 90, np.uint8)
    assert np.array_equal(_apply('refractive_errors', flat), flat)
    top, bottom = slice(0, 8), slice(56, 64)
    my, hy = luma(_apply('myopia', img)), luma(_apply('hyperopia', img))
    assert _edge_contrast(my, top) > _edge_contrast(my, bottom)
    assert _edge_contrast(hy, bottom) > _edge_contrast(hy, top)
    # astigmatism: horizontal edges (across rows) gain, vertical edges do not
    vert = luma(_apply('astigmatism', img))
    assert np.allclose(vert, base, atol=1)
    horiz_img = img.transpose(1, 0, 2).copy()
    horiz = luma(_apply('astigmatism', horiz_img))
    assert np.abs(np.diff(horiz, axis=0)).max() > np.abs(np.diff(luma(horiz_img), axis=0)).max()


def test_presbyopia_brightens():
    img = _scene()
    assert luma(_apply('presbyopia', img)).mean() > 1.15 * luma(img).mean()


def test_condition_reaches_pipeline_model_and_work_dir(tiny_synth):
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = tiny_synth + '/'
    cfg.vision_condition = 'glaucoma'
    assert default_work_dir(cfg) == 'work_dirs/tiny_t2_glaucoma'
    apply_condition(cfg, 'glaucoma')
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types[:2] == ['LoadImageFromFile', 'GlaucomaPeripheralGain']
    with pytest.raises(ValueError, match='unknown vision condition'):
        apply_condition(cfg, 'glaucomaa')

    from maxsight.registry import DATASETS, MODELS
    ds = DATASETS.build(cfg.val_dataloader.dataset)
    sample = ds[0]
    assert sample['data_samples'].metainfo['condition'] == 'glaucoma'
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg.model, bbox_head=dict(cfg.model.bbox_head, num_classes=8)))
    data = model.data_preprocessor(dict(inputs=[sample['inputs']],
                                        data_samples=[sample['data_samples']]), True)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    row = model.condition_film.embed.weight.grad[1]  # glaucoma is index 1
    assert row.abs().sum() > 0 and model.condition_film.embed.weight.grad[2].abs().sum() == 0
    model.eval()
    with torch.no_grad():
        with_cond = model(data['inputs'], data['data_samples'], mode='tensor')['cls']
        data['data_samples'][0].set_metainfo(dict(condition=None))
        without = model(data['inputs'], data['data_samples'], mode='tensor')['cls']
    assert not torch.allclose(with_cond, without)


def test_spatial_priority_per_condition_by_hand():
    import math

    import torch

    from maxsight.models.layers.condition_film import spatial_priority
    cx = torch.tensor([0.5, 0.0, 1.0, 0.75, 1.5])
    cy = torch.tensor([0.5, 0.0, 0.5, 0.75, 1.5])
    r = [0.0, 1.0, math.sqrt(0.5), 0.5, 1.0]  # sqrt(2 ((cx-.5)^2 + (cy-.5)^2)), at most 1
    assert spatial_priority('glaucoma', cx, cy).tolist() == pytest.approx([1 + v for v in r])
    assert spatial_priority('amd', cx, cy).tolist() == pytest.approx([2 - v for v in r])
    for other in ('cataracts', None, ''):
        assert spatial_priority(other, cx, cy).tolist() == [1.0] * 5


def test_every_condition_maps_to_its_registered_transform_class():
    from maxsight.datasets.transforms.vision_conditions import (ConditionTransform,
                                                                condition_transform_cfg)
    assert sorted(CONDITION_TRANSFORMS) == sorted(VISION_CONDITIONS)
    for name in VISION_CONDITIONS:
        cls = TRANSFORMS.get(condition_transform_cfg(name)['type'])
        assert issubclass(cls, ConditionTransform) and cls.condition == name


def test_clahe_uses_its_tile_grid_and_clip_limit():
    import cv2

    from maxsight.datasets.transforms.vision_conditions import CataractCLAHE
    rng = np.random.default_rng(0)
    img = (rng.random((64, 96, 3)) ** 3 * 255).astype(np.uint8)
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(4, 4)).apply(
        np.ascontiguousarray(lab[..., 0]))
    assert np.array_equal(CataractCLAHE(clip_limit=3.0, tile_grid=4).apply(img),
                          cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))

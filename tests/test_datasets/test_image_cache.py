import os.path as osp

import numpy as np
import pytest
from PIL import Image

from maxsight.datasets.transforms import LoadImageFromFile, loading


def _images(tmp_path, n=3, size=(20, 10)):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        p = osp.join(tmp_path, f'{i}.png')
        Image.fromarray(rng.integers(0, 256, size=(size[1], size[0], 3)).astype(np.uint8)).save(p)
        paths.append(p)
    return paths


def test_cache_decodes_each_image_once_and_returns_the_same_pixels(tmp_path, monkeypatch):
    paths = _images(tmp_path)
    reads = []
    real = loading.read_rgb
    monkeypatch.setattr(loading, 'read_rgb', lambda p: reads.append(p) or real(p))
    load = LoadImageFromFile(cache_mb=1)
    first = [load(dict(img_path=p))['img'] for p in paths]
    again = [load(dict(img_path=p, lighting=None)) for p in paths]
    assert reads == paths  # the second pass decodes nothing
    for p, a, b in zip(paths, first, again):
        assert np.array_equal(b['img'], real(p)) and b['img'] is a
        assert b['lighting_derived'] is True and b['lighting'] in (
            'dark', 'dim', 'normal', 'bright', 'glare')
    with pytest.raises(ValueError, match='read-only'):
        again[0]['img'][0, 0] = 0  # an in-place transform would corrupt the cache


def test_cache_stops_at_its_budget_and_is_off_by_default(tmp_path, monkeypatch):
    paths = _images(tmp_path, size=(512, 512))  # 768 KiB each
    reads = []
    real = loading.read_rgb
    monkeypatch.setattr(loading, 'read_rgb', lambda p: reads.append(p) or real(p))
    load = LoadImageFromFile(cache_mb=2)  # room for two of the three
    for _ in range(2):
        for p in paths:
            load(dict(img_path=p))
    assert reads == paths + paths[2:]
    assert load._cached_bytes == 2 * 512 * 512 * 3
    reads.clear()
    plain = LoadImageFromFile()
    for _ in range(2):
        plain(dict(img_path=paths[0]))
    assert reads == [paths[0]] * 2
    with pytest.raises(ValueError, match='cache_mb must be >= 0'):
        LoadImageFromFile(cache_mb=-1)


def test_cache_still_checks_the_annotated_size(tmp_path):
    path = _images(tmp_path, n=1)[0]
    load = LoadImageFromFile(cache_mb=1)
    load(dict(img_path=path, width=20, height=10))
    with pytest.raises(loading.ImageLoadError, match='annotation says 21x10, file is 20x10'):
        load(dict(img_path=path, width=21, height=10, img_id=5))

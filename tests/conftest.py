"""Shared fixtures: a tiny embedded dataset and helpers to write COCO files.

The suite runs from the repository root whatever directory pytest was started in (tests
name configs and tools by their repository paths)."""
import json
import os
import os.path as osp

import pytest

from maxsight import register_all_modules

from .helpers import ROOT, TINY_SYNTH, overfit_checkpoint

os.chdir(ROOT)
register_all_modules()


@pytest.fixture(scope='session')
def tiny_synth(tmp_path_factory):
    """A tiny synthetic dataset (24 train / 8 val images of 128x96)."""
    from maxsight.datasets.synthetic import generate_synthetic_dataset
    root = tmp_path_factory.mktemp('synth')
    generate_synthetic_dataset(str(root), **TINY_SYNTH)
    return str(root)


@pytest.fixture(scope='session')
def overfit_ckpt(tiny_synth, tmp_path_factory):
    """The tiny T2 trained on tiny_synth's 8 val images themselves (val mAP about 0.3)."""
    return overfit_checkpoint(tiny_synth, str(tmp_path_factory.mktemp('overfit')))


def write_coco(path, images, annotations, categories, info=True):
    data = dict(images=images, annotations=annotations, categories=categories)
    if info:
        data['info'] = {}
    with open(path, 'w') as f:
        json.dump(data, f)
    return str(path)


@pytest.fixture
def coco_writer(tmp_path):
    def _write(images, annotations, categories, name='ann.json', info=True):
        return write_coco(osp.join(tmp_path, name), images, annotations, categories, info)
    return _write

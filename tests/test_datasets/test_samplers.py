from collections import Counter

import numpy as np
import pytest
from mmengine.dataset import BaseDataset, ConcatDataset

from maxsight.datasets.samplers import repeat_factors
from maxsight.registry import DATA_SAMPLERS


class Labelled(BaseDataset):
    """In-memory dataset whose image i holds the classes labels[i]."""

    def __init__(self, labels):
        self.labels = labels
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(labels=labels) for labels in self.labels]

    def get_cat_ids(self, i):
        return self.labels[i]


def test_repeat_factors_follow_lvis_formula():
    # class 0 in 9 of 10 images, class 1 in 1 of 10: r(1) = sqrt(0.3 / 0.1)
    labels = [[0]] * 9 + [[0, 1]]
    r = repeat_factors(labels, oversample_thr=0.3)
    assert r[:9].tolist() == [1.0] * 9 and r[9] == pytest.approx(np.sqrt(3.0))


def test_class_balanced_sampler_oversamples_rare_images():
    ds = Labelled([[0]] * 18 + [[1]] * 2)
    sampler = DATA_SAMPLERS.build(dict(type='ClassBalancedSampler', oversample_thr=0.5),
                                  default_args=dict(dataset=ds, seed=0))
    counts = Counter()
    for epoch in range(200):
        sampler.set_epoch(epoch)
        counts.update(list(sampler))
    rare = (counts[18] + counts[19]) / 400  # per image per epoch
    common = sum(counts[i] for i in range(18)) / (18 * 200)
    assert common == 1.0 and rare == pytest.approx(np.sqrt(0.5 / 0.1), rel=0.05)
    sampler.set_epoch(3)
    assert list(sampler) == list(sampler)  # deterministic per epoch


def test_multi_source_sampler_mixes_by_weight():
    a, b = Labelled([[0]] * 30), Labelled([[0]] * 10)
    ds = ConcatDataset([a, b])
    sampler = DATA_SAMPLERS.build(dict(type='MultiSourceSampler', weights=[1, 3],
                                       num_samples=4000), default_args=dict(dataset=ds, seed=1))
    idx = list(sampler)
    assert len(idx) == 4000 and max(idx) < 40
    share_b = sum(i >= 30 for i in idx) / len(idx)
    assert share_b == pytest.approx(0.75, abs=0.03)
    with pytest.raises(ValueError, match='one non-negative weight per source'):
        DATA_SAMPLERS.build(dict(type='MultiSourceSampler', weights=[1]),
                            default_args=dict(dataset=ds, seed=1))
    for bad in ([2, -1], [0, 0]):  # a negative weight (the sum positive); no weight at all
        with pytest.raises(ValueError, match='one non-negative weight per source'):
            DATA_SAMPLERS.build(dict(type='MultiSourceSampler', weights=bad),
                                default_args=dict(dataset=ds, seed=1))
    # a zero weight is allowed: that source is never drawn
    only_a = DATA_SAMPLERS.build(dict(type='MultiSourceSampler', weights=[1, 0],
                                      num_samples=200), default_args=dict(dataset=ds, seed=1))
    assert len(list(only_a)) == 200 and max(only_a) < 30


def test_runner_builds_sampler_from_config(tiny_synth):
    from mmengine.config import Config
    from mmengine.runner import Runner

    from maxsight.datasets.samplers import ClassBalancedSampler
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    loader_cfg = cfg.train_dataloader
    loader_cfg.dataset.data_root = tiny_synth + '/'
    loader_cfg.sampler = dict(type='ClassBalancedSampler', oversample_thr=0.5)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    assert isinstance(loader.sampler, ClassBalancedSampler)
    assert len(list(loader.sampler)) >= len(loader.dataset)

"""The motion-signal tool: its statistics by hand, and on a tiny T5 and clips, exactly the
objects and rates of the annotation file."""
import json
import math
import os.path as osp

import numpy as np
import pytest
import torch

from maxsight.analysis.clip_motion_signal import (RATE_BINS, clip_motion_signal,
                                                  signal_summary)
from maxsight.utils.cli import run_tool

from ..helpers import ROOT, TINY_SYNTH, build_tier
from .test_tool_errors import _tool


def test_summary_by_hand():
    rate = [0.0, 0.1, 0.5, 2.0]
    slope_h = [0.0, 0.2, 1.0, 4.0]  # exactly proportional: correlation 1
    slope_d = [1.0, 0.0, -1.0, 0.0]  # minus it: 0 (-1), 0 (0), 1 (1), 0 (0) against the rate
    out = signal_summary(rate, slope_h, slope_d)
    assert out['n'] == 4 and out['corr_h'] == pytest.approx(1.0)
    assert out['corr_d'] == pytest.approx(float(np.corrcoef(rate, [-1, 0, 1, 0])[0, 1]))
    assert [b['n'] for b in out['bins']] == [1, 1, 1, 1]
    assert [b['mean_h'] for b in out['bins']] == slope_h
    assert [b['mean_d'] for b in out['bins']] == [-1.0, 0.0, 1.0, 0.0]
    assert all(b['sd_h'] == 0 for b in out['bins'])
    assert math.isnan(signal_summary([1.0], [1.0], [1.0])['corr_h'])  # one object
    assert RATE_BINS[1] == (0.05, 1 / 3) and RATE_BINS[2] == (1 / 3, 1.0)


@pytest.fixture(scope='module')
def tiny_t5(tiny_synth, tmp_path_factory):
    """A (random) tiny T5's checkpoint and the options that point it at tiny_synth's
    training clips, as build_tier makes them."""
    model, _ = build_tier('t5_temporal', tiny_synth)
    ckpt = str(tmp_path_factory.mktemp('t5') / 't5.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    opts = {'embedded_dataset': dict(TINY_SYNTH, root=tiny_synth, num_train_clips=3,
                                     num_val_clips=2, clip_length=4),
            'test_dataloader.dataset.data_root': tiny_synth + '/',
            'test_dataloader.dataset.ann_file': 'annotations/train_clips.json',
            'test_dataloader.batch_size': 2}
    return ckpt, opts, osp.join(tiny_synth, 'annotations', 'train_clips.json')


def test_every_annotated_object_with_its_true_rate(tiny_t5):
    """With min_iou 0 every object is found: the counts per bin are the annotation
    file's own rates v / d, binned (crowd regions are no objects)."""
    ckpt, opts, ann = tiny_t5
    out = clip_motion_signal(osp.join(ROOT, 'configs', 't5_temporal.py'), ckpt, opts,
                             min_iou=0.0)
    with open(ann) as f:
        rates = [a['approach_m_s'] / a['distance_m'] for a in json.load(f)['annotations']
                 if a.get('approach_m_s') is not None and not a['iscrowd']]
    assert out['n'] == len(rates) > 10
    assert [b['n'] for b in out['bins']] == [
        sum(lo <= r < hi for r in rates) for lo, hi in RATE_BINS]
    assert math.isfinite(out['corr_h']) and -1 <= out['corr_h'] <= 1


def test_refusals_are_one_error_line(tiny_t5, tmp_path, capsys):
    ckpt, opts, _ = tiny_t5
    tool = _tool('analysis_tools/clip_motion_signal.py')
    t2 = osp.join(ROOT, 'configs', 't2_default.py')
    t5 = osp.join(ROOT, 'configs', 't5_temporal.py')
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': {'w': torch.zeros(3)}}, other)
    for argv, message in (([t2, ckpt], 'model.motion is not set'),
                          ([t5, str(tmp_path / 'no.pth')], 'checkpoint not found'),
                          ([t5, str(other)], 'does not match the model of')):
        with pytest.raises(SystemExit) as exit_info:
            run_tool(tool.main, argv + ['--cfg-options'] +
                     [f'{k}={v}' for k, v in opts.items() if k != 'embedded_dataset'])
        assert exit_info.value.code == 2
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.startswith('error: ') and message in line, line

"""Non-finite losses and gradients injected into training are skipped and reported by
task; resident-memory growth is measured as documented."""
import ast
import os.path as osp
import re
import subprocess
import sys

import pytest

from maxsight.engine.hooks.memory_monitor_hook import memory_growth

from ..helpers import ROOT

pytestmark = pytest.mark.slow  # runs the tools end to end

CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


def _logged_dict(log, prefix):
    match = re.search(re.escape(prefix) + r'.*?(\{.*\})', log)
    assert match, f'{prefix!r} not in the log'
    return ast.literal_eval(match.group(1))


def test_injected_nan_and_inf_are_skipped_and_reported_by_task(tiny_synth, tmp_path):
    args = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'w'),
            '--cfg-options', 'train_cfg.max_epochs=3',
            *[f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val')],
            'default_hooks.fault.type=FaultInjectionHook', 'default_hooks.fault.seed=0',
            'default_hooks.fault.nan_loss_prob=0.4', 'default_hooks.fault.nan_grad_prob=0.4',
            'default_hooks.memory.type=MemoryMonitorHook', 'default_hooks.memory.interval=1']
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    injected = _logged_dict(log, 'FaultInjectionHook: injected non-finite values:')
    skipped = _logged_dict(log, 'updates skipped during training, by cause:')
    assert injected == skipped  # every injected fault skipped, attributed to its loss
    assert 'gradient' in injected and any(k.startswith('loss_') for k in injected)
    assert 'final val coco/bbox_mAP' in log  # the run completed
    assert osp.isfile(str(tmp_path / 'w' / 'memory.json'))


def test_memory_growth_compares_peaks_not_points_of_a_sawtooth():
    # a sawtooth between 900 and 1000 that does not grow: 0 %, whichever tooth ends it
    flat = [(i * 50, 900 if i % 3 else 1000) for i in range(1, 41)]
    assert memory_growth(flat, warmup_iters=100)[2] == 0.0
    # a leak of 1 per sample shows in the peaks: 39 samples after warm-up, quarters of 9;
    # first quarter's highest tooth 1000 + 9, last quarter's 1000 + 39
    leak = [(i * 50, (900 if i % 3 else 1000) + i) for i in range(1, 41)]
    ref, last, growth = memory_growth(leak, warmup_iters=100)
    assert (ref, last) == (1009, 1039) and growth == 30 / 1009
    assert memory_growth(flat, warmup_iters=2000) is None

"""Non-finite losses and gradients injected into training are skipped and reported by
task; resident-memory growth is measured as documented."""
import ast
import os.path as osp
import re
import subprocess
import sys

from maxsight.engine.hooks.memory_monitor_hook import memory_growth

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
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


def test_memory_growth_is_measured_from_the_first_sample_after_warmup():
    samples = [(50, 900), (100, 1000), (150, 1010), (200, 1030)]
    assert memory_growth(samples, warmup_iters=100) == (1000, 1030, 0.03)
    assert memory_growth(samples, warmup_iters=60) == (1000, 1030, 0.03)
    assert memory_growth(samples, warmup_iters=200) is None

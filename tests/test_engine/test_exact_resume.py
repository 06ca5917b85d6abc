"""Bit-exact resume: a run SIGKILLed at seeded random points, including halfway through
checkpoint writes, and resumed each time ends with the weights of an uninterrupted run."""
import glob
import os.path as osp
import random
import signal
import subprocess
import sys

import pytest
import torch

from maxsight.engine.checkpoint import safe_load_checkpoint

from ..helpers import NO_AFTER_TRAINING_HOOKS, ROOT

pytestmark = pytest.mark.slow  # runs the tools end to end

CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')
EPOCHS = 4
ITERS_PER_EPOCH = 3  # 24 training images, batch 8


def _train(work, root, *extra, resume=False):
    args = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work]
    if resume:
        args.append('--resume')
    args += ['--cfg-options', f'train_cfg.max_epochs={EPOCHS}',
             # a worker process per epoch: worker seeding is part of what must replay
             'train_dataloader.num_workers=1', 'train_dataloader.persistent_workers=False',
             *[f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val', 'test')],
             *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _fault_schedule(seed=2030):
    """A kill before a random iteration and one halfway through a random epoch's checkpoint
    write, in the order training reaches them (each kind of kill, and the second one in a
    resumed run; this seed puts both after the first checkpoint: iteration 5, epoch 2)."""
    rng = random.Random(seed)
    total = EPOCHS * ITERS_PER_EPOCH
    iters = rng.sample(range(1, total), 1)
    epochs = rng.sample(range(1, EPOCHS), 1)
    # (progress point, order at that point: the epoch's save comes first, during save, option)
    faults = [(k, 1, False, f'default_hooks.fault.kill_at_iters=[{k}]') for k in iters]
    faults += [(e * ITERS_PER_EPOCH, 0, True,
                f'default_hooks.fault.kill_during_save_epochs=[{e}]') for e in epochs]
    return [f[2:] for f in sorted(faults)]


def _weights(path):
    return safe_load_checkpoint(path)['state_dict']


#: the states that are not plain weights: PCGrad's random generator, the EMA copy of the
#: weights (mmengine's EMAHook) and the fake-quantisation observers of quantisation-aware
#: training (the other balancers' state is plain buffers and parameters; each one's round
#: trip through a saved state dict is test_models/test_balancer_resume.py)
STATEFUL = ['model.balancer.type=PCGrad', 'model.balancer.seed=5',
            'default_hooks.ema.type=EMAHook', 'default_hooks.ema.momentum=0.1',
            'quantization.mode=qat', 'quantization.backend=x86',
            'quantization.calib_batches=1']


def test_killed_and_resumed_run_is_bit_identical(tiny_synth, tmp_path):
    """Killed before a random iteration and halfway through a checkpoint write, resumed
    each time, with PCGrad, EMA and quantisation-aware training on: the last epoch's
    weights, EMA weights and observer statistics equal an uninterrupted run's."""
    straight = str(tmp_path / 'straight')
    proc = _train(straight, tiny_synth, *STATEFUL)
    assert proc.returncode == 0, proc.stderr[-3000:]

    killed = str(tmp_path / 'killed')
    faults = _fault_schedule()
    assert len(faults) == 2
    for n, (during_save, option) in enumerate(faults):
        proc = _train(killed, tiny_synth, *STATEFUL,
                      'default_hooks.fault.type=FaultInjectionHook', option, resume=n > 0)
        assert proc.returncode == -signal.SIGKILL, (option, proc.stderr[-3000:])
        if during_save:
            epoch = int(option.split('[')[1].rstrip(']'))
            # the kill left a half-written temporary file, never a file under the real name
            assert glob.glob(osp.join(killed, f'.partial-epoch_{epoch}.pth.*')), option
            assert not osp.exists(osp.join(killed, f'epoch_{epoch}.pth')), option
    proc = _train(killed, tiny_synth, *STATEFUL, resume=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resumed epoch' in proc.stdout + proc.stderr
    assert not glob.glob(osp.join(killed, '.partial-*'))  # stale partial writes cleaned

    ref = safe_load_checkpoint(osp.join(straight, f'epoch_{EPOCHS}.pth'))
    got = safe_load_checkpoint(osp.join(killed, f'epoch_{EPOCHS}.pth'))
    for part in ('state_dict', 'ema_state_dict'):
        assert ref[part].keys() == got[part].keys(), part
        assert [k for k in ref[part] if not torch.equal(ref[part][k], got[part][k])] == [], part
    weights = ref['state_dict']
    # the run really trained: the last epoch moved the weights
    before = _weights(osp.join(straight, f'epoch_{EPOCHS - 1}.pth'))
    assert sum(not torch.equal(before[k], weights[k]) for k in weights) > len(weights) // 2
    assert any(k.startswith('balancer.') for k in weights)  # PCGrad's generator state
    observers = [k for k in weights if 'activation_post_process' in k and k.endswith('min_val')]
    assert observers  # fake quantisation trained, its observers' statistics compared above
    ema = ref['ema_state_dict']
    assert any(not torch.equal(ema[f'module.{k}'], v) for k, v in weights.items()
               if f'module.{k}' in ema and v.is_floating_point())  # EMA differs from raw


def test_t5_clip_training_resumes_bit_identically_after_a_kill(tmp_path):
    """The T5 clip pipeline (clip sampler, clip collation, frame augmentation, temporal
    attention) killed halfway through its second epoch and resumed: weights and optimiser
    state equal an uninterrupted run's."""
    from maxsight.datasets.synthetic import generate_synthetic_dataset
    root = str(tmp_path / 'clips')
    generate_synthetic_dataset(root, num_train=4, num_val=2, seed=8, width=128, height=96,
                               num_train_clips=8, num_val_clips=1)

    def train(work, *extra, resume=False):
        args = [sys.executable, 'tools/train.py', 'configs/t5_temporal.py', '--work-dir', work]
        args += ['--resume'] if resume else []
        args += ['--cfg-options', 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
                 *[f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val',
                                                                        'test')],
                 *[f'{k}=None' for k in NO_AFTER_TRAINING_HOOKS], *extra]
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)

    straight, killed = str(tmp_path / 'straight'), str(tmp_path / 'killed')
    proc = train(straight)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = train(killed, 'default_hooks.fault.type=FaultInjectionHook',
                 'default_hooks.fault.kill_at_iters=[3]')  # 8 clips, batch 4: 2 a epoch
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    proc = train(killed, resume=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref = safe_load_checkpoint(osp.join(straight, 'epoch_2.pth'))
    got = safe_load_checkpoint(osp.join(killed, 'epoch_2.pth'))
    assert any(k.startswith('temporal.') for k in ref['state_dict'])
    assert [k for k in ref['state_dict']
            if not torch.equal(ref['state_dict'][k], got['state_dict'][k])] == []
    for idx, state in ref['optimizer']['state'].items():
        for name, value in state.items():
            assert torch.equal(torch.as_tensor(value),
                               torch.as_tensor(got['optimizer']['state'][idx][name])), name

"""tools/automl.py: a real (tiny) Optuna study, pruning, resuming from storage, and a
best_config.py that tools/train.py trains unchanged."""
import json
import os.path as osp
import subprocess
import sys

import optuna
import pytest

from ..helpers import ROOT

pytestmark = pytest.mark.slow  # runs the tools end to end

CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


def _automl(tiny_synth, work, storage, *extra, n_trials=2, epochs=1):
    args = [sys.executable, 'tools/automl.py', CONFIG, '--n-trials', str(n_trials),
            '--epochs', str(epochs), '--storage', storage, '--study-name', 'tiny',
            '--work-dir', work, '--cfg-options',
            *[f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val')],
            *extra]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_study_prunes_resumes_and_writes_a_trainable_best_config(tiny_synth, tmp_path):
    work = str(tmp_path / 'automl')
    storage = f'sqlite:///{tmp_path}/study.db'
    out = _automl(tiny_synth, work, storage, 'automl.pruner.type=NopPruner',
                  'automl.pruner.n_startup_trials=None', 'automl.pruner.n_warmup_steps=None')
    assert 'study tiny: 2 trials (complete 2)' in out
    # the same storage continues the study; a pruner no trial can pass prunes the third
    # after its first epoch's report
    out = _automl(tiny_synth, work, storage, 'automl.pruner.type=ThresholdPruner',
                  'automl.pruner.lower=2.0', 'automl.pruner.n_startup_trials=None',
                  'automl.pruner.n_warmup_steps=None', n_trials=1, epochs=2)
    assert 'study tiny: 3 trials (complete 2, pruned 1)' in out
    study = optuna.load_study(study_name='tiny', storage=storage)
    states = [t.state.name for t in study.trials]
    assert states == ['COMPLETE', 'COMPLETE', 'PRUNED']
    assert list(study.trials[2].intermediate_values) == [1]  # reported once, then stopped
    assert not osp.exists(osp.join(work, 'trial_2', 'epoch_2.pth'))
    assert osp.exists(osp.join(work, 'trial_2', 'epoch_1.pth'))
    # two trials with different sampled values
    assert study.trials[0].params != study.trials[1].params
    assert set(study.trials[0].params) == {
        'optim_wrapper.optimizer.lr', 'optim_wrapper.optimizer.weight_decay',
        'train_dataloader.batch_size', 'optim_wrapper.clip_grad.max_norm',
        'model.bbox_head.loss_cls.loss_weight', 'model.bbox_head.loss_bbox.loss_weight',
        'model.bbox_head.hazard_loss_weight'}
    best = json.load(open(osp.join(work, 'best_hyperparameters.json')))
    assert best['trial'] == study.best_trial.number and best['value'] == study.best_value
    # best_config.py holds the best values and trains with tools/train.py as is
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(work, 'best_config.py'))
    for key, value in best['params'].items():
        node = cfg
        for part in key.split('.'):
            node = node[part]
        assert node == value, key
    proc = subprocess.run([sys.executable, 'tools/train.py', osp.join(work, 'best_config.py'),
                           '--cfg-options', 'train_cfg.max_epochs=1'],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.exists(osp.join(work, 'best', 'epoch_1.pth'))

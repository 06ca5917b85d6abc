"""Hyper-parameter search with Optuna over the search space a config declares
(``automl`` in the config; ``tools/automl.py``).

Each trial is a run of :class:`~maxsight.engine.runner.MaxSightRunner` (so it trains
exactly what ``tools/train.py`` trains, QAT and transfer included) with the trial's values,
validated after every epoch; :class:`~maxsight.engine.hooks.OptunaPruningHook` reports the
metric so the config's pruner can stop poor trials. The best values are written as
``best_hyperparameters.json`` and ``best_config.py`` (the config with them, which
``tools/train.py`` trains as is).
"""
import copy
import os
import os.path as osp
import time
from typing import Optional

from mmengine.config import Config

from ..evaluation.metrics.coco_metric import write_json_atomic
from ..utils.errors import ToolError
from .hooks.optuna_pruning_hook import OptunaPruningHook
from .runner import build_runner


def import_optuna():
    """The optuna module, or a one-line error with the install command."""
    try:
        import optuna
    except ImportError:
        raise ToolError('hyper-parameter search needs optuna: pip install -r '
                        'requirements/optional.txt') from None
    return optuna


def check_key(cfg: Config, key: str) -> None:
    """A clear error unless dotted ``key`` names an entry of ``cfg``."""
    node = cfg.to_dict()
    for part in key.split('.'):
        if not isinstance(node, dict) or part not in node:
            raise ToolError(f'automl.search_space: {key!r} is not a key of the config')
        node = node[part]


def suggest(trial, key: str, spec: dict):
    """The trial's value for ``key`` from its ``spec`` (type float / int / categorical)."""
    kind = spec.get('type')
    if kind == 'float':
        return trial.suggest_float(key, spec['low'], spec['high'], log=spec.get('log', False))
    if kind == 'int':
        return trial.suggest_int(key, spec['low'], spec['high'], step=spec.get('step', 1),
                                 log=spec.get('log', False))
    if kind == 'categorical':
        return trial.suggest_categorical(key, list(spec['choices']))
    raise ToolError(f'automl.search_space[{key!r}]: type must be float, int or categorical, '
                    f'got {kind!r}')


def _build(optuna, kind: str, spec: dict):
    spec = {k: v for k, v in spec.items() if v is not None}  # None drops an inherited arg
    name = spec.pop('type')
    module = optuna.samplers if kind == 'sampler' else optuna.pruners
    if not hasattr(module, name):
        raise ToolError(f'automl.{kind}: optuna has no {name!r}')
    return getattr(module, name)(**spec)


def search(base: Config, work_dir: str, n_trials: int, epochs: Optional[int] = None,
           storage: Optional[str] = None, study_name: Optional[str] = None,
           metric: Optional[str] = None) -> dict:
    """Run (or, with ``storage``, continue) the study of ``base``'s ``automl`` spec under
    ``work_dir`` (one ``trial_N`` folder each); returns the best trial's summary."""
    optuna = import_optuna()
    spec = base.get('automl') or {}
    space = spec.get('search_space') or {}
    if not space:
        raise ToolError(f'{base.filename}: no automl.search_space in the config')
    for key in space:
        check_key(base, key)
    metric = metric or spec.get('metric', 'coco/bbox_mAP')
    name = study_name or osp.splitext(osp.basename(base.filename or 'study'))[0]
    study = optuna.create_study(
        study_name=name, storage=storage, load_if_exists=True,
        direction=spec.get('direction', 'maximize'),
        sampler=_build(optuna, 'sampler', spec.get('sampler', dict(type='TPESampler'))),
        pruner=_build(optuna, 'pruner', spec.get('pruner', dict(type='MedianPruner'))))

    def objective(trial) -> float:
        cfg = copy.deepcopy(base)
        cfg.merge_from_dict({k: suggest(trial, k, s) for k, s in space.items()})
        if epochs:
            cfg.train_cfg.max_epochs = epochs
        cfg.train_cfg.val_interval = 1  # the pruner sees the metric after every epoch
        cfg.work_dir = osp.join(work_dir, f'trial_{trial.number}')
        cfg.experiment_name = f'{study.study_name}_trial{trial.number}_{time.time_ns()}'
        runner = build_runner(cfg)
        hook = OptunaPruningHook(trial, metric)
        runner.register_hook(hook)
        runner.train()
        return hook.last

    study.optimize(objective, n_trials=n_trials, catch=())
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    states = {s.name: sum(t.state == s for t in study.trials)
              for s in optuna.trial.TrialState}
    print(f'study {study.study_name}: {len(study.trials)} trials '
          f'({", ".join(f"{n.lower()} {c}" for n, c in states.items() if c)})')
    if not done:
        raise ToolError('no trial completed (all pruned or failed): relax automl.pruner or '
                        'train more epochs per trial')
    best = study.best_trial
    os.makedirs(work_dir, exist_ok=True)
    result = dict(metric=metric, value=best.value, trial=best.number, params=best.params,
                  n_trials=len(study.trials), states=states)
    write_json_atomic(osp.join(work_dir, 'best_hyperparameters.json'), result, indent=2)
    best_cfg = copy.deepcopy(base)
    best_cfg.merge_from_dict(dict(best.params))  # with the config's own epoch count
    best_cfg.work_dir = osp.join(work_dir, 'best')
    best_cfg.dump(osp.join(work_dir, 'best_config.py'))
    return result

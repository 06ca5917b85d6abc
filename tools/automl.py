"""Hyper-parameter search with Optuna over the search space declared in a config.

python tools/automl.py CONFIG --n-trials N [--epochs E] [--storage sqlite:///study.db]
    [--study-name NAME] [--metric KEY] [--work-dir DIR] [--cfg-options k=v ...]

Every trial trains CONFIG with the trial's values for E epochs (default: the config's)
and reports the val metric after each epoch, so the config's pruner (automl.pruner) stops
poor trials early. With --storage the study is saved and a later call with the same
storage and study name continues it. Writes <work_dir>/best_hyperparameters.json and
<work_dir>/best_config.py (the config with the best values and its own epoch count), which
tools/train.py trains as is.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight import register_all_modules  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.utils import load_config, prepare_config  # noqa: E402
from maxsight.utils.cli import ToolError, run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Optuna hyper-parameter search')
    parser.add_argument('config')
    parser.add_argument('--n-trials', type=int, required=True)
    parser.add_argument('--epochs', type=int, help='epochs per trial (default: config)')
    parser.add_argument('--storage', help='Optuna storage URL, e.g. sqlite:///study.db '
                        '(resumable); default in memory')
    parser.add_argument('--study-name', help='default: the config name')
    parser.add_argument('--metric', help='val metric to optimise (default: automl.metric)')
    parser.add_argument('--work-dir', help='default work_dirs/automl_<config name>')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def _import_optuna():
    try:
        import optuna
    except ImportError:
        raise ToolError('tools/automl.py needs optuna: pip install -r '
                        'requirements/optional.txt') from None
    return optuna


def _get(cfg: Config, key: str):
    node = cfg.to_dict()
    for part in key.split('.'):
        if not isinstance(node, dict) or part not in node:
            raise ToolError(f'automl.search_space: {key!r} is not a key of the config')
        node = node[part]
    return node


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


class PruningHook(Hook):
    """Reports the val metric to the Optuna trial after every epoch; stops pruned trials."""
    priority = 'LOWEST'

    def __init__(self, trial, metric: str):
        self.trial, self.metric = trial, metric
        self.last = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        import optuna
        if not metrics or self.metric not in metrics:
            raise ToolError(f'val metric {self.metric!r} not produced; available: '
                            f'{sorted(metrics or {})}')
        self.last = float(metrics[self.metric])
        self.trial.report(self.last, step=runner.epoch)
        if self.trial.should_prune():
            runner.logger.info(f'trial {self.trial.number} pruned after epoch {runner.epoch}')
            raise optuna.TrialPruned()


def _build(optuna, kind: str, spec: dict):
    spec = {k: v for k, v in spec.items() if v is not None}  # None drops an inherited arg
    name = spec.pop('type')
    module = optuna.samplers if kind == 'sampler' else optuna.pruners
    if not hasattr(module, name):
        raise ToolError(f'automl.{kind}: optuna has no {name!r}')
    return getattr(module, name)(**spec)


def main(argv=None) -> dict:
    args = parse_args(argv)
    optuna = _import_optuna()
    register_all_modules()
    name = osp.splitext(osp.basename(args.config))[0]
    base = load_config(args.config, args.cfg_options,
                       args.work_dir or osp.join('work_dirs', f'automl_{name}'))
    prepare_config(base, splits=('train', 'val'))
    spec = base.get('automl') or {}
    space = spec.get('search_space') or {}
    if not space:
        raise ToolError(f'{args.config}: no automl.search_space in the config')
    for key in space:
        _get(base, key)
    metric = args.metric or spec.get('metric', 'coco/bbox_mAP')
    study = optuna.create_study(
        study_name=args.study_name or name, storage=args.storage, load_if_exists=True,
        direction=spec.get('direction', 'maximize'),
        sampler=_build(optuna, 'sampler', spec.get('sampler', dict(type='TPESampler'))),
        pruner=_build(optuna, 'pruner', spec.get('pruner', dict(type='MedianPruner'))))
    work_dir = base.work_dir

    def objective(trial) -> float:
        cfg = copy.deepcopy(base)
        cfg.merge_from_dict({k: suggest(trial, k, s) for k, s in space.items()})
        if args.epochs:
            cfg.train_cfg.max_epochs = args.epochs
        cfg.train_cfg.val_interval = 1  # the pruner sees the metric after every epoch
        cfg.work_dir = osp.join(work_dir, f'trial_{trial.number}')
        cfg.experiment_name = f'{study.study_name}_trial{trial.number}_{time.time_ns()}'
        runner = Runner.from_cfg(cfg)
        hook = PruningHook(trial, metric)
        runner.register_hook(hook)
        runner.train()
        return hook.last

    study.optimize(objective, n_trials=args.n_trials, catch=())
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
    best_cfg.merge_from_dict(dict(best.params))
    best_cfg.work_dir = osp.join(work_dir, 'best')
    best_cfg.dump(osp.join(work_dir, 'best_config.py'))
    print(f'best {metric} = {best.value:.4f} (trial {best.number}): {best.params}\n'
          f'wrote {osp.join(work_dir, "best_hyperparameters.json")} and '
          f'{osp.join(work_dir, "best_config.py")}')
    return result


if __name__ == '__main__':
    run_tool(main)

"""Reports the validation metric to an Optuna trial and stops trials the pruner rejects."""
from mmengine.hooks import Hook

from ...registry import HOOKS
from ...utils.errors import ToolError


@HOOKS.register_module()
class OptunaPruningHook(Hook):
    """After every validation: ``trial.report(metric, epoch)``; raises
    ``optuna.TrialPruned`` when ``trial.should_prune()``. ``last`` holds the last value.

    Args:
        trial: the ``optuna.trial.Trial`` being trained.
        metric: the val metric key, e.g. ``'coco/bbox_mAP'``.
    """
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

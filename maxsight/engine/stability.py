"""Training stability: skip non-finite updates, back the learning rate off, abort cleanly.

* :class:`GuardedOptimWrapper` (``optim_wrapper.type='GuardedOptimWrapper'``) refuses a step
  whose gradients are not finite (weights and optimiser state untouched) and reports it.
* The task balancer (``TaskBalancer.guarded_step``) checks every task loss before the
  update and skips the update when one is not finite, reporting which task.
* :class:`StabilityHook` counts the skipped steps per task, logs them, multiplies the
  learning rate by ``backoff_factor`` after ``backoff_after`` consecutive bad steps (and
  restores it after ``recover_after`` good ones) and stops training with a clear message
  after ``abort_after`` consecutive bad steps. Its state is saved in checkpoints.
"""
from collections import Counter
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper

from ..models.balancers.base_balancer import BAD_STEP_KEY, report_bad_step
from ..registry import HOOKS, OPTIM_WRAPPERS

__all__ = ['BAD_STEP_KEY', 'GuardedOptimWrapper', 'StabilityHook']


@OPTIM_WRAPPERS.register_module()
class GuardedOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` that skips ``step`` when any gradient is NaN/Inf."""

    def step(self, **kwargs) -> None:
        for group in self.optimizer.param_groups:
            for p in group['params']:
                if p.grad is not None and not torch.isfinite(p.grad).all():
                    report_bad_step(['gradient'])
                    return
        super().step(**kwargs)


@HOOKS.register_module()
class StabilityHook(Hook):
    """See the module docstring. Runs after the model step and before the LR scheduler."""
    priority = 'ABOVE_NORMAL'

    def __init__(self, backoff_after: int = 3, backoff_factor: float = 0.1,
                 recover_after: int = 20, abort_after: int = 50):
        if not 0 < backoff_factor <= 1:
            raise ValueError(f'StabilityHook: backoff_factor must be in (0, 1], got '
                             f'{backoff_factor}')
        self.backoff_after, self.backoff_factor = backoff_after, backoff_factor
        self.recover_after, self.abort_after = recover_after, abort_after
        self.skipped: Counter = Counter()
        self.consecutive_bad = 0
        self.consecutive_good = 0
        self.backed_off = False

    def _scale_lr(self, runner, factor: float) -> None:
        for group in runner.optim_wrapper.param_groups:
            group['lr'] = group['lr'] * factor

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        runner.message_hub.update_info(BAD_STEP_KEY, [])
        if self.backed_off:  # the scheduler owns the lr: scale it for this step only
            self._scale_lr(runner, self.backoff_factor)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.backed_off:
            self._scale_lr(runner, 1.0 / self.backoff_factor)
        bad = runner.message_hub.get_info(BAD_STEP_KEY) or []
        if bad:
            self.skipped.update(bad)
            self.consecutive_bad += 1
            self.consecutive_good = 0
            runner.logger.warning(f'iteration {runner.iter + 1}: update skipped, non-finite '
                                  f'{", ".join(sorted(set(bad)))} (skipped so far: '
                                  f'{dict(self.skipped)})')
        else:
            self.consecutive_bad = 0
            self.consecutive_good += 1
        if self.consecutive_bad >= self.abort_after:
            raise RuntimeError(
                f'StabilityHook: {self.consecutive_bad} consecutive updates had non-finite '
                f'losses or gradients ({dict(self.skipped)}); training stopped. Lower the '
                'learning rate, enable clip_grad in optim_wrapper, or check the data.')
        if not self.backed_off and self.consecutive_bad >= self.backoff_after:
            self.backed_off = True
            runner.logger.warning(f'StabilityHook: {self.consecutive_bad} bad steps in a row; '
                                  f'learning rate x{self.backoff_factor} until '
                                  f'{self.recover_after} good steps')
        elif self.backed_off and self.consecutive_good >= self.recover_after:
            self.backed_off = False
            runner.logger.info('StabilityHook: recovered; learning rate restored')
        for task, n in self.skipped.items():
            runner.message_hub.update_scalar(f'train/skipped_steps/{task}', n)

    def after_train(self, runner) -> None:
        if self.skipped:
            runner.logger.warning(f'StabilityHook: {sum(self.skipped.values())} updates '
                                  f'skipped during training, by cause: '
                                  f'{dict(sorted(self.skipped.items()))}')

    def state(self) -> dict:
        return dict(skipped=dict(self.skipped), consecutive_bad=self.consecutive_bad,
                    consecutive_good=self.consecutive_good, backed_off=self.backed_off)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['stability'] = self.state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state: Optional[dict] = checkpoint.get('stability')
        if state:
            self.skipped = Counter(state['skipped'])
            self.consecutive_bad = state['consecutive_bad']
            self.consecutive_good = state['consecutive_good']
            self.backed_off = state['backed_off']

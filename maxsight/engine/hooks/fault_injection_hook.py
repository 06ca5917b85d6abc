"""Deliberate faults, to prove that training survives them (docs/reliability.md)."""
import os
import signal
from collections import Counter
from typing import Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS
from .. import atomic_backend


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class FaultInjectionHook(Hook):
    """Kills the run or poisons losses and gradients, at chosen or seeded random points.

    Args:
        kill_at_iters: SIGKILL this process when this many training iterations are done
            (global count, 1-based: 5 = after the 5th update, before the 6th).
        kill_during_save_epochs: SIGKILL halfway through writing the checkpoint of these
            epochs (1-based), after half its bytes reached the temporary file.
        nan_loss_prob: per iteration, probability that one task loss (chosen at random
            among the loss keys) is multiplied by NaN or +Inf.
        nan_grad_prob: per iteration, probability that one parameter's gradient (chosen at
            random) gets a NaN or +Inf entry just before the optimiser step.
        seed: the injections' own seed; a decision depends only on (seed, iteration), not
            on the training generators, so injecting never changes the training stream.

    ``after_train`` logs how many faults were injected, by loss / target.
    """
    priority = 'VERY_LOW'

    def __init__(self, kill_at_iters: Sequence[int] = (),
                 kill_during_save_epochs: Sequence[int] = (), nan_loss_prob: float = 0.0,
                 nan_grad_prob: float = 0.0, seed: int = 0):
        for name, p in (('nan_loss_prob', nan_loss_prob), ('nan_grad_prob', nan_grad_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f'FaultInjectionHook: {name} must be in [0, 1], got {p}')
        self.kill_at_iters = {int(i) for i in kill_at_iters}
        self.kill_during_save_epochs = {int(e) for e in kill_during_save_epochs}
        self.nan_loss_prob, self.nan_grad_prob, self.seed = nan_loss_prob, nan_grad_prob, seed
        self.injected: Counter = Counter()
        self._rng = np.random.default_rng(seed)
        self._poison_loss = self._poison_grad = False

    # -- kills ---------------------------------------------------------------------------
    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter in self.kill_at_iters:
            runner.logger.warning(f'FaultInjectionHook: SIGKILL after {runner.iter} iterations')
            _kill_self()
        self._rng = np.random.default_rng([self.seed, runner.iter])
        self._poison_loss = bool(self._rng.random() < self.nan_loss_prob)
        self._poison_grad = bool(self._rng.random() < self.nan_grad_prob)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint.get('meta', {}).get('epoch') not in self.kill_during_save_epochs:
            return

        def die_halfway(tmp_path: str, written: int, total: int) -> None:
            if written >= total // 2:
                _kill_self()
        runner.logger.warning('FaultInjectionHook: SIGKILL halfway through this checkpoint')
        atomic_backend.WRITE_OBSERVERS.append(die_halfway)

    # -- non-finite losses and gradients --------------------------------------------------
    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self.nan_loss_prob > 0:
            forward = model._run_forward

            def poisoned_forward(data, mode):
                out = forward(data, mode)
                if mode == 'loss' and self._poison_loss:
                    keys = sorted(k for k in out if 'loss' in k)
                    key = keys[int(self._rng.integers(len(keys)))]
                    bad = float('nan') if self._rng.random() < 0.5 else float('inf')
                    out[key] = out[key] * bad
                    self.injected[key] += 1
                return out
            model._run_forward = poisoned_forward
        if self.nan_grad_prob > 0:
            optim_wrapper = runner.optim_wrapper
            step = optim_wrapper.step
            params = [p for p in model.parameters() if p.requires_grad]

            def poisoned_step(**kwargs):
                if self._poison_grad:
                    with_grad = [p for p in params if p.grad is not None]
                    if with_grad:
                        p = with_grad[int(self._rng.integers(len(with_grad)))]
                        # first element by index: works in any memory layout
                        p.grad[(0,) * p.grad.dim()] = float('nan') \
                            if self._rng.random() < 0.5 else float('inf')
                        self.injected['gradient'] += 1
                    self._poison_grad = False  # once per iteration (accumulation steps)
                return step(**kwargs)
            optim_wrapper.step = poisoned_step

    def after_train(self, runner) -> None:
        if self.injected:
            runner.logger.info(f'FaultInjectionHook: injected non-finite values: '
                               f'{dict(sorted(self.injected.items()))}')

"""How long a test or validation run spends computing metrics."""
import time
from typing import Optional

from mmengine.hooks import Hook

from ...registry import HOOKS


@HOOKS.register_module()
class EvaluationTimerHook(Hook):
    """Logs, after every test (and, with ``val=True``, validation) run, the seconds spent in
    the evaluator's ``evaluate`` (from the last iteration to the metrics: COCOeval, the
    assistive and lighting metrics) against the whole run (inference + metrics)."""
    priority = 'VERY_LOW'

    def __init__(self, val: bool = False):
        self.val = val
        self._start: Optional[float] = None
        self._last_iter: Optional[float] = None
        self.last_seconds: Optional[dict] = None

    def _begin(self) -> None:
        self._start = self._last_iter = time.perf_counter()

    def _iter_done(self) -> None:
        self._last_iter = time.perf_counter()

    def _end(self, runner, mode: str) -> None:
        if self._start is None:
            return
        now = time.perf_counter()
        total, metric = now - self._start, now - self._last_iter
        self.last_seconds = dict(total=total, metrics=metric)
        runner.logger.info(f'{mode}: metric computation took {metric:.2f} s of {total:.2f} s '
                           f'(inference + metrics), {100 * metric / max(total, 1e-9):.1f} %')
        self._start = None

    def before_test_epoch(self, runner) -> None:
        self._begin()

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._iter_done()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._end(runner, 'test')

    def before_val_epoch(self, runner) -> None:
        if self.val:
            self._begin()

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.val:
            self._iter_done()

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self.val:
            self._end(runner, 'val')

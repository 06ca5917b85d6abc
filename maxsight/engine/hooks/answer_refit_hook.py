"""``AnswerRefitHook``: fits T3's answer MLP again on the finished model's answers (T4: and
its beside output; T5: its motion refiner instead), at the end of the last training epoch
(:mod:`maxsight.engine.answer_refit`)."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from ...models.heads.full_batch_fit import check_refit_settings
from ...registry import HOOKS
from ..answer_refit import check_refittable, format_refit, refit_answers, refit_loader_cfg


@HOOKS.register_module()
class AnswerRefitHook(Hook):
    """After the last training step, before that epoch's checkpoint, validation and
    operating point: so all three hold the refitted weights.

    Args:
        steps: full-batch Adam steps of the fit.
        lr: its learning rate.
    """
    priority = 'LOW'  # before CheckpointHook (VERY_LOW) saves the last epoch

    def __init__(self, steps: int = 2000, lr: float = 1e-3):
        check_refit_settings(steps, lr, 'AnswerRefitHook')
        self.steps, self.lr = steps, float(lr)
        self.result: Optional[dict] = None

    def before_train(self, runner) -> None:
        check_refittable(runner.model)  # not after the whole run, before its last checkpoint

    def _refit(self, runner) -> None:
        loader = runner.build_dataloader(refit_loader_cfg(runner.cfg), seed=runner.seed)
        self.result = refit_answers(runner.model, loader, self.steps, self.lr)
        runner.logger.info(format_refit(self.result))

    def after_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop) and \
                self.is_last_train_epoch(runner):
            self._refit(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop) and \
                self.is_last_train_iter(runner):
            self._refit(runner)

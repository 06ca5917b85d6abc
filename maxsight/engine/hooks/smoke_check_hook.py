"""Fails a smoke run (``tools/train.py --smoke``) whose losses are not finite or do not
fall."""
from mmengine.hooks import Hook

from ...registry import HOOKS
from ...utils.errors import ToolError
from ..smoke import check_smoke


@HOOKS.register_module()
class SmokeCheckHook(Hook):
    """After training: :func:`~maxsight.engine.smoke.check_smoke` on the logged total
    losses; logs the summary, or raises ``ToolError`` (one ``error:`` line in the tools)."""
    priority = 'LOWEST'

    def __init__(self, window: int = 5):
        self.window = window

    def after_train(self, runner) -> None:
        losses = runner.message_hub.get_scalar('train/loss').data[0]
        try:
            runner.logger.info(check_smoke(losses, self.window))
        except RuntimeError as e:
            raise ToolError(str(e)) from None

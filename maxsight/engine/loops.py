"""Validation / test loops for clip datasets, whose results are per frame, not per clip."""
from mmengine.runner import TestLoop, ValLoop

from ..registry import LOOPS


class _FrameCountedMixin:
    """mmengine's loops evaluate ``len(dataset)`` results; a clip dataset yields one result
    per real (non-padded) frame, ``dataset.num_frames``."""

    def run(self) -> dict:
        evaluate = self.evaluator.evaluate
        frames = getattr(self.dataloader.dataset, 'num_frames', len(self.dataloader.dataset))
        self.evaluator.evaluate = lambda size: evaluate(frames)
        try:
            return super().run()
        finally:
            self.evaluator.evaluate = evaluate


@LOOPS.register_module()
class ClipValLoop(_FrameCountedMixin, ValLoop):
    """:class:`mmengine.runner.ValLoop` for clip datasets."""


@LOOPS.register_module()
class ClipTestLoop(_FrameCountedMixin, TestLoop):
    """:class:`mmengine.runner.TestLoop` for clip datasets."""

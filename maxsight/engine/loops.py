"""Validation / test loops for clip datasets, whose results are per frame, not per clip."""
from mmengine.evaluator import Evaluator
from mmengine.runner import TestLoop, ValLoop

from ..registry import LOOPS


class FrameCountEvaluator(Evaluator):
    """:class:`mmengine.evaluator.Evaluator` that evaluates ``num_frames`` results whatever
    size the loop passes: mmengine's loops pass ``len(dataset)``, the number of clips,
    while a clip dataset yields one result per real (non-padded) frame."""

    def __init__(self, metrics, num_frames: int):
        super().__init__(metrics)
        self.num_frames = num_frames

    def evaluate(self, size: int) -> dict:
        return super().evaluate(self.num_frames)


class _FrameCountedMixin:
    """Replaces the loop's evaluator by a :class:`FrameCountEvaluator` over the same
    metrics, sized by ``dataset.num_frames``."""

    def __init__(self, runner, dataloader, evaluator, *args, **kwargs):
        super().__init__(runner, dataloader, evaluator, *args, **kwargs)
        dataset = self.dataloader.dataset
        frames = getattr(dataset, 'num_frames', len(dataset))
        self.evaluator = FrameCountEvaluator(self.evaluator.metrics, frames)
        if hasattr(dataset, 'metainfo'):
            self.evaluator.dataset_meta = dataset.metainfo


@LOOPS.register_module()
class ClipValLoop(_FrameCountedMixin, ValLoop):
    """:class:`mmengine.runner.ValLoop` for clip datasets."""


@LOOPS.register_module()
class ClipTestLoop(_FrameCountedMixin, TestLoop):
    """:class:`mmengine.runner.TestLoop` for clip datasets."""

"""EMA of a MaxSight model (mmengine's ``EMAHook`` builds it from this scope)."""
from typing import Tuple

from mmengine.model import ExponentialMovingAverage as _MMEngineEMA
from torch import nn

from ..registry import MODELS


def _owner(module: nn.Module, name: str) -> Tuple[nn.Module, str]:
    """The submodule that holds buffer ``name`` (dotted path) and the buffer's own name."""
    path, _, attr = name.rpartition('.')
    return (module.get_submodule(path) if path else module), attr


@MODELS.register_module()
class ExponentialMovingAverage(_MMEngineEMA):
    """mmengine's :class:`~mmengine.model.ExponentialMovingAverage`, aware that some
    buffers get their size on the first training step: a task balancer's per-task state,
    a quantisation observer's per-channel statistics.

    The averaged copy is taken before that step, so such buffers still have their initial
    shape and mmengine's in-place copy would fail; a buffer whose shape differs from the
    trained model's is adopted from it (when it is first sized, and when a resumed
    checkpoint's averaged state arrives). Everything else is mmengine's: ``EMAHook``
    validates on the averaged weights and saves them in checkpoints.
    """

    def _adopt_shapes(self, shapes_from: dict) -> None:
        resized = False
        for name, buf in list(self.module.named_buffers()):
            src = shapes_from.get(name)
            if src is not None and src.shape != buf.shape:
                owner, attr = _owner(self.module, name)
                setattr(owner, attr, src.detach().clone().to(buf.device))
                resized = True
        if resized:  # mmengine keeps references to the averaged tensors
            self.avg_parameters = (self.module.state_dict() if self.update_buffers
                                   else dict(self.module.named_parameters()))

    def update_parameters(self, model: nn.Module) -> None:
        self._adopt_shapes(dict(model.named_buffers()))
        super().update_parameters(model)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        prefix = 'module.'
        self._adopt_shapes({k[len(prefix):]: v for k, v in state_dict.items()
                            if k.startswith(prefix)})
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

"""EMA of a MaxSight model (mmengine's ``EMAHook`` builds it from this scope)."""
from mmengine.model import ExponentialMovingAverage as _MMEngineEMA
from torch import nn

from ..registry import MODELS
from .balancers.base_balancer import TaskBalancer


@MODELS.register_module()
class ExponentialMovingAverage(_MMEngineEMA):
    """mmengine's :class:`~mmengine.model.ExponentialMovingAverage`, aware that a task
    balancer sizes its state buffers on the first training step (one entry per task).

    The averaged copy is taken before that step, so its balancer buffers are still empty
    and mmengine's in-place copy would fail; they are adopted from the trained model when
    their size changes. Everything else is mmengine's: ``EMAHook`` validates on the
    averaged weights and saves them in checkpoints.
    """

    def update_parameters(self, model: nn.Module) -> None:
        resized = False
        for avg, src in zip(self.module.modules(), model.modules()):
            if isinstance(avg, TaskBalancer):
                for name in avg.lazy_buffers:
                    src_buf = getattr(src, name)
                    if getattr(avg, name).shape != src_buf.shape:
                        setattr(avg, name, src_buf.detach().clone().to(
                            getattr(avg, name).device))
                        resized = True
        if resized:  # mmengine keeps references to the averaged tensors
            self.avg_parameters = (self.module.state_dict() if self.update_buffers
                                   else dict(self.module.named_parameters()))
        super().update_parameters(model)

"""Static task weights: the weighted sum of the task losses."""
from typing import Dict, List, Optional

from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from ...registry import MODELS
from .base_balancer import TaskBalancer


@MODELS.register_module()
class StaticWeights(TaskBalancer):
    """``total = sum_t weights[t] * L_t`` (weight 1 for tasks not listed)."""

    def __init__(self, weights: Optional[Dict[str, float]] = None,
                 tasks: Optional[Dict[str, List[str]]] = None):
        super().__init__(tasks)
        self.weights = dict(weights or {})

    def train_step(self, model: nn.Module, losses: Dict[str, Tensor],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        total = self.weighted_total(self.task_losses(losses), self.weights)
        optim_wrapper.update_params(total)
        return self.log_vars(losses)  # constant weights: in the config, not in every log line

"""Uncertainty weighting (Kendall, Gal and Cipolla, CVPR 2018)."""
from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from ...registry import MODELS
from .base_balancer import TaskBalancer


@MODELS.register_module()
class UncertaintyWeighting(TaskBalancer):
    """``total = sum_i exp(-s_i) L_i + s_i`` with learnable s_i = log sigma_i^2 (trained
    by the model's optimiser with everything else). At the optimum exp(-s_i) = 1 / L_i:
    tasks are weighted by their inverse (homoscedastic) uncertainty. Logged task weight:
    exp(-s_i)."""

    def __init__(self, tasks: Optional[Dict[str, List[str]]] = None,
                 init_log_var: float = 0.0):
        super().__init__(tasks)
        self.index = {n: i for i, n in enumerate(self.tasks)}
        self.log_sigma2 = nn.Parameter(torch.full((len(self.index),), float(init_log_var)))

    def _s(self, task: str) -> Tensor:
        if task not in self.index:
            raise KeyError(f'UncertaintyWeighting: loss group {task!r} is not among the '
                           f'configured tasks {list(self.index)}; add it to tasks=')
        return self.log_sigma2[self.index[task]]

    def train_step(self, model: nn.Module, losses: Dict[str, Tensor],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        task_losses = self.task_losses(losses)
        total = sum(torch.exp(-self._s(t)) * v + self._s(t) for t, v in task_losses.items())
        optim_wrapper.update_params(total)
        return self.log_vars(losses, {t: float(torch.exp(-self._s(t).detach()))
                                      for t in task_losses})

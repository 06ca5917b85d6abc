"""Dynamic weight average (Liu, Johns and Davison, CVPR 2019)."""
from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from ...registry import MODELS
from .base_balancer import TaskBalancer


@MODELS.register_module()
class DynamicWeightAverage(TaskBalancer):
    """``w_i = T exp(r_i / tau) / sum_j exp(r_j / tau)`` with r_i = Lbar_i(k-1) /
    Lbar_i(k-2) the ratio of task i's mean loss over the last two windows of ``window``
    steps (the paper's windows are epochs: set ``window`` to the iterations per epoch).
    Weights are 1 for the first two windows. A task whose loss falls slowly gets more
    weight."""

    lazy_buffers = ('running_sum', 'prev_mean', 'prev2_mean', 'weights')

    def __init__(self, temperature: float = 2.0, window: int = 100,
                 tasks: Optional[Dict[str, List[str]]] = None):
        super().__init__(tasks)
        if window < 1 or temperature <= 0:
            raise ValueError('DynamicWeightAverage: window >= 1 and temperature > 0 needed')
        self.temperature, self.window = temperature, window
        self.task_names: List[str] = []
        for name in ('running_sum', 'prev_mean', 'prev2_mean', 'weights'):
            self.register_buffer(name, torch.zeros(0))
        self.register_buffer('steps_in_window', torch.zeros((), dtype=torch.long))
        self.register_buffer('windows_done', torch.zeros((), dtype=torch.long))

    def current_weights(self, n: int) -> Tensor:
        if int(self.windows_done) < 2 or self.weights.numel() != n:
            return torch.ones(n)
        return self.weights

    def observe(self, task_losses: Dict[str, Tensor]) -> None:
        """Accumulate this step's task losses; at the end of a window, update weights."""
        values = torch.stack([v.detach().float() for v in task_losses.values()]).cpu()
        if self.running_sum.numel() != len(values):
            self.running_sum = torch.zeros_like(values)
        self.running_sum += values
        self.steps_in_window += 1
        if int(self.steps_in_window) < self.window:
            return
        mean = self.running_sum / self.window
        self.prev2_mean, self.prev_mean = self.prev_mean, mean
        self.running_sum = torch.zeros_like(values)
        self.steps_in_window.zero_()
        self.windows_done += 1
        if int(self.windows_done) >= 2:
            ratio = self.prev_mean / self.prev2_mean.clamp(min=1e-12)
            self.weights = len(values) * torch.softmax(ratio / self.temperature, 0)

    def train_step(self, model: nn.Module, losses: Dict[str, Tensor],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        task_losses = self.task_losses(losses)
        self.task_names = list(task_losses)
        w = self.current_weights(len(task_losses))
        weights = dict(zip(self.task_names, w.tolist()))
        total = sum(weights[t] * v for t, v in task_losses.items())
        optim_wrapper.update_params(total)
        self.observe(task_losses)
        return self.log_vars(losses, weights)

"""PCGrad: gradient surgery for multi-task learning (Yu et al., NeurIPS 2020)."""
from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from ...registry import MODELS
from .base_balancer import TaskBalancer


def pcgrad_project(grads: List[Tensor], generator: Optional[torch.Generator] = None
                   ) -> List[Tensor]:
    """Project each flat task gradient g_i onto the normal plane of every g_j it conflicts
    with (g_i . g_j < 0), visiting the other tasks in random order (Algorithm 1)."""
    out = []
    for i, g in enumerate(grads):
        g = g.clone()
        others = [j for j in range(len(grads)) if j != i]
        order = torch.randperm(len(others), generator=generator).tolist()
        for k in order:
            gj = grads[others[k]]
            dot = torch.dot(g, gj)
            if dot < 0:
                g = g - dot / gj.dot(gj).clamp(min=1e-20) * gj
        out.append(g)
    return out


@MODELS.register_module()
class PCGrad(TaskBalancer):
    """Per-task gradients of all trainable parameters (one backward pass per task),
    projected with :func:`pcgrad_project` and summed. The update goes through the optim
    wrapper with a surrogate loss ``sum_p <p, g_p>`` whose gradient is exactly the
    projected one, so accumulation, clipping and AMP scaling still apply."""

    def __init__(self, seed: int = 0, tasks: Optional[Dict[str, List[str]]] = None):
        super().__init__(tasks)
        self.generator = torch.Generator().manual_seed(seed)
        # the projection order's random stream travels in checkpoints: a resumed run draws
        # the orders an uninterrupted one would
        self.register_buffer('generator_state', self.generator.get_state())

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        self.generator_state = self.generator.get_state()
        super()._save_to_state_dict(destination, prefix, keep_vars)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if prefix + 'generator_state' in state_dict:
            self.generator.set_state(self.generator_state.cpu())

    def train_step(self, model: nn.Module, losses: Dict[str, Tensor],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        task_losses = self.task_losses(losses)
        params = [p for p in model.parameters() if p.requires_grad]
        flat = []
        for i, loss in enumerate(task_losses.values()):
            grads = torch.autograd.grad(loss, params, retain_graph=i < len(task_losses) - 1,
                                        allow_unused=True)
            flat.append(torch.cat([(torch.zeros_like(p) if g is None else g).flatten()
                                   for p, g in zip(params, grads)]))
        projected = sum(pcgrad_project(flat, self.generator))
        surrogate, offset = 0.0, 0
        for p in params:
            n = p.numel()
            surrogate = surrogate + (p * projected[offset:offset + n].view_as(p)).sum()
            offset += n
        optim_wrapper.update_params(surrogate)
        return self.log_vars(losses)  # every task weighs 1, always: nothing to log

"""GradNorm (Chen et al., ICML 2018): adaptive task weights that equalise training rates.

Per step t, with learnable weights w_i (summing to T, the number of tasks) and W the
parameters of the last layer shared by all tasks:

* G_i = || grad_W (w_i L_i) ||_2 = w_i || grad_W L_i ||_2, and G_mean = mean_i G_i;
* inverse training rates r_i = L~_i / mean_j L~_j with L~_i = L_i(t) / L_i(0);
* L_grad = sum_i | G_i - G_mean * r_i ** alpha |, the target being a constant (no gradient);
* w is updated on L_grad with its own optimiser (Adam, own learning rate ``lr``: steps
  of about ``lr`` whatever the scale of the gradient norms), then renormalised to sum to
  T. The network is updated with sum_i w_i L_i (w treated as constant).

Because G_i is linear in w_i, dL_grad/dw_i = sign(G_i - target_i) * ||grad_W L_i||; so
only T extra backward passes from the losses to W are needed. In MaxSight the last layer
shared by all tasks feeds the whole head, so those passes cost about a head backward each;
``update_interval=k`` performs the (unchanged) GradNorm update on every k-th step only and
keeps the weights fixed in between, dividing that overhead by k (1 = as published).
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from ...registry import MODELS
from .base_balancer import TaskBalancer


@MODELS.register_module()
class GradNorm(TaskBalancer):
    """Args:
        alpha: asymmetry (1.5 in the paper); 0 equalises the gradient norms.
        lr: learning rate of the task weights.
        shared_params: name prefixes of the last shared layer's parameters (W).
        update_interval: update the weights every this many steps (1 = every step).
        tasks: loss grouping (see :class:`TaskBalancer`).
    """

    lazy_buffers = ('weights', 'initial_losses', 'exp_avg', 'exp_avg_sq')

    def __init__(self, alpha: float = 1.5, lr: float = 0.025,
                 shared_params: Sequence[str] = ('neck.output',), update_interval: int = 1,
                 tasks: Optional[Dict[str, List[str]]] = None):
        super().__init__(tasks)
        if update_interval < 1:
            raise ValueError(f'GradNorm: update_interval must be >= 1, got {update_interval}')
        self.alpha, self.lr, self.update_interval = alpha, lr, update_interval
        self.register_buffer('num_steps', torch.zeros((), dtype=torch.long))
        self.shared_params = tuple(shared_params)
        self.task_names: List[str] = []
        self.betas, self.eps = (0.9, 0.999), 1e-8
        for name in ('weights', 'initial_losses', 'exp_avg', 'exp_avg_sq'):
            self.register_buffer(name, torch.zeros(0))
        self.register_buffer('adam_step', torch.zeros((), dtype=torch.long))

    def _shared(self, model: nn.Module) -> List[nn.Parameter]:
        params = [p for n, p in model.named_parameters()
                  if n.startswith(self.shared_params) and p.requires_grad]
        if not params:
            raise ValueError(f'GradNorm: no parameters start with {self.shared_params}; set '
                             'shared_params to the last layer shared by all tasks')
        return params

    def gradnorm_update(self, task_losses: Dict[str, Tensor], shared: List[nn.Parameter]
                        ) -> Dict[str, float]:
        """One GradNorm step on the task weights (see module docstring); returns the
        diagnostics G_i and targets."""
        names = list(task_losses)
        self.task_names = names
        if self.weights.numel() != len(names):
            self.weights = torch.ones(len(names), device=self.weights.device)
            self.initial_losses = torch.stack([task_losses[n].detach() for n in names]).float()
            self.exp_avg = torch.zeros_like(self.weights)
            self.exp_avg_sq = torch.zeros_like(self.weights)
        losses = torch.stack([task_losses[n].detach() for n in names])
        norms = []
        for n in names:  # ||grad_W L_i||
            grads = torch.autograd.grad(task_losses[n], shared, retain_graph=True,
                                        allow_unused=True)
            sq = sum((g.float() ** 2).sum() for g in grads if g is not None)
            norms.append(torch.sqrt(torch.as_tensor(sq, dtype=torch.float32)))
        norms = torch.stack(norms).to(self.weights.device)
        g = self.weights * norms
        ratio = losses / self.initial_losses.clamp(min=1e-12)
        rate = ratio / ratio.mean()
        target = (g.mean() * rate ** self.alpha).detach()
        grad_w = torch.sign(g - target) * norms
        new = (self.weights - self._adam_step(grad_w)).clamp(min=1e-3)
        self.weights = new * len(names) / new.sum()
        return dict(zip([f'gradnorm_G/{n}' for n in names], g.tolist()))

    def _adam_step(self, grad: Tensor) -> Tensor:
        """Adam update (Kingma and Ba 2015) of the task weights for gradient ``grad``."""
        b1, b2 = self.betas
        self.adam_step += 1
        self.exp_avg.mul_(b1).add_(grad, alpha=1 - b1)
        self.exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        t = float(self.adam_step)
        m_hat = self.exp_avg / (1 - b1 ** t)
        v_hat = self.exp_avg_sq / (1 - b2 ** t)
        return self.lr * m_hat / (v_hat.sqrt() + self.eps)

    def train_step(self, model: nn.Module, losses: Dict[str, Tensor],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        task_losses = self.task_losses(losses)
        self.task_names = list(task_losses)  # also on a step without a weight update
        weights_before = dict(zip(task_losses, self.weights.tolist())) \
            if self.weights.numel() == len(task_losses) else {t: 1.0 for t in task_losses}
        total = sum(weights_before[t] * v for t, v in task_losses.items())
        diag = {}
        if int(self.num_steps) % self.update_interval == 0:
            diag = self.gradnorm_update(task_losses, self._shared(model))
        self.num_steps += 1
        optim_wrapper.update_params(total)
        out = self.log_vars(losses, dict(zip(self.task_names, self.weights.tolist())))
        out.update({k: torch.as_tensor(v) for k, v in diag.items()})
        return out

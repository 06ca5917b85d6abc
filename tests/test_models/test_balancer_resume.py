"""Every balancer's state travels in the model's state dict: 2 steps, save (state dict and
optimiser state through torch.save / the safe loader), load into fresh objects, 2 more
steps equals 4 uninterrupted steps bit for bit."""
import copy
import io

import pytest
import torch
from mmengine.optim import OptimWrapper
from torch import nn

from maxsight.registry import MODELS

TASKS = dict(a=['loss_a'], b=['loss_b'], c=['loss_c'])
BALANCERS = {
    'StaticWeights': dict(type='StaticWeights', weights=dict(a=2.0)),
    'GradNorm': dict(type='GradNorm', alpha=1.5, lr=0.05, shared_params=['shared'],
                     update_interval=2),
    'PCGrad': dict(type='PCGrad', seed=3),
    'DynamicWeightAverage': dict(type='DynamicWeightAverage', temperature=2.0, window=1),
    'UncertaintyWeighting': dict(type='UncertaintyWeighting'),
}


class ThreeTask(nn.Module):
    """A shared layer and three heads with conflicting targets; the balancer inside."""

    def __init__(self, balancer: dict):
        super().__init__()
        torch.manual_seed(0)
        self.shared = nn.Linear(6, 12)
        self.heads = nn.ModuleList(nn.Linear(12, 1) for _ in range(3))
        self.balancer = MODELS.build(dict(balancer, tasks=TASKS))

    def losses(self, step: int):
        g = torch.Generator().manual_seed(step)
        x = torch.randn(16, 6, generator=g)
        targets = (x[:, 0], -x[:, 0] + x[:, 1], 3 * x[:, 2])
        h = torch.relu(self.shared(x))
        return {f'loss_{n}': ((head(h).squeeze(1) - t) ** 2).mean()
                for n, head, t in zip('abc', self.heads, targets)}

    def step(self, wrapper, step: int):
        return self.balancer.train_step(self, self.losses(step), wrapper)


def _wrapper(model):
    return OptimWrapper(torch.optim.AdamW(model.parameters(), lr=0.01))


def _round_trip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize('name', sorted(BALANCERS))
def test_resumed_balancer_continues_bit_identically(name):
    straight = ThreeTask(BALANCERS[name])
    wrapper = _wrapper(straight)
    for step in range(4):
        last = straight.step(wrapper, step)

    first = ThreeTask(BALANCERS[name])
    first_wrapper = _wrapper(first)
    for step in range(2):
        first.step(first_wrapper, step)
    saved = _round_trip(dict(state_dict=first.state_dict(),
                             optimizer=first_wrapper.state_dict()))
    resumed = ThreeTask(BALANCERS[name])
    resumed.load_state_dict(saved['state_dict'])
    resumed_wrapper = _wrapper(resumed)
    resumed_wrapper.load_state_dict(copy.deepcopy(saved['optimizer']))
    for step in range(2, 4):
        again = resumed.step(resumed_wrapper, step)
    for (key, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), (name, key)
    for key in last:
        assert torch.equal(last[key], again[key]), (name, key)

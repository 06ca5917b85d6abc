import torch
from mmengine.optim import OptimWrapper
from torch import nn

from maxsight.models.balancers import GradNorm, StaticWeights


class TwoTask(nn.Module):
    """A shared layer feeding two regression heads whose losses differ 100x in scale."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.shared = nn.Linear(8, 16)
        self.head_a, self.head_b = nn.Linear(16, 1), nn.Linear(16, 1)

    def losses(self, x, ya, yb):
        h = torch.relu(self.shared(x))
        return dict(loss_a=100 * ((self.head_a(h).squeeze(1) - ya) ** 2).mean(),
                    loss_b=((self.head_b(h).squeeze(1) - yb) ** 2).mean())


def _data():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 8, generator=g)
    return x, x[:, 0] * 2, x[:, 1] - x[:, 2]


def _grad_norms(model, balancer, losses):
    out = []
    for name, w in zip(balancer.task_names, balancer.weights):
        g = torch.autograd.grad(losses[name], list(model.shared.parameters()), retain_graph=True)
        out.append(float(w) * float(torch.sqrt(sum((x ** 2).sum() for x in g))))
    return out


def test_gradnorm_pulls_weighted_gradient_norms_together():
    model, x_ya_yb = TwoTask(), _data()
    balancer = GradNorm(alpha=0.0, lr=0.02, shared_params=['shared'],
                        tasks=dict(loss_a=['loss_a'], loss_b=['loss_b']))
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-4))
    log = balancer.train_step(model, model.losses(*x_ya_yb), wrapper)
    first = _grad_norms(model, balancer, model.losses(*x_ya_yb))
    for _ in range(300):
        log = balancer.train_step(model, model.losses(*x_ya_yb), wrapper)
    last = _grad_norms(model, balancer, model.losses(*x_ya_yb))
    spread = lambda g: max(g) / min(g)  # noqa: E731
    assert spread(first) > 5 and spread(last) < 1.5
    assert float(balancer.weights.sum()) == __import__('pytest').approx(2.0)
    weak = 0 if first[0] < first[1] else 1  # the task with the weaker gradient is turned up
    assert balancer.weights[weak] > 1.0 > balancer.weights[1 - weak]
    assert 'task_weight/loss_a' in log and 'loss' in log


def test_gradnorm_alpha_favours_slow_tasks_and_state_round_trips():
    balancer = GradNorm(alpha=1.5, lr=0.1, shared_params=['shared'],
                        tasks=dict(a=['loss_a'], b=['loss_b']))
    model, d = TwoTask(), _data()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    for _ in range(5):
        balancer.train_step(model, model.losses(*d), wrapper)
    state = balancer.state_dict()
    fresh = GradNorm(alpha=1.5, lr=0.1, shared_params=['shared'])
    fresh.load_state_dict(state)
    assert torch.equal(fresh.weights, balancer.weights)
    assert torch.equal(fresh.initial_losses, balancer.initial_losses)


def test_static_weights_is_the_weighted_sum():
    model, d = TwoTask(), _data()
    losses = model.losses(*d)
    balancer = StaticWeights(weights=dict(a=0.5), tasks=dict(a=['loss_a'], b=['loss_b']))
    seen = {}

    class Recorder:
        def update_params(self, loss):
            seen['loss'] = loss

    log = balancer.train_step(model, losses, Recorder())
    assert torch.allclose(seen['loss'], 0.5 * losses['loss_a'] + losses['loss_b'])
    assert float(log['task_weight/a']) == 0.5 and float(log['task_weight/b']) == 1.0

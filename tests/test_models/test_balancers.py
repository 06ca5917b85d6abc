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
    assert not [k for k in log if k.startswith('task_weight/')]  # constant: not logged
    assert torch.allclose(log['loss'], losses['loss_a'] + losses['loss_b'])


def test_uncertainty_weights_converge_to_inverse_loss():
    from maxsight.models.balancers import UncertaintyWeighting
    bal = UncertaintyWeighting(tasks=dict(a=['loss_a'], b=['loss_b']))
    opt = torch.optim.SGD(bal.parameters(), lr=0.05)
    wrapper = OptimWrapper(opt)
    for _ in range(400):  # constant losses 10 and 0.5: optimum exp(-s) = 1 / L
        log = bal.train_step(None, dict(loss_a=torch.tensor(10.0), loss_b=torch.tensor(0.5)),
                             wrapper)
    assert float(log['task_weight/a']) == __import__('pytest').approx(0.1, rel=0.02)
    assert float(log['task_weight/b']) == __import__('pytest').approx(2.0, rel=0.02)


def test_dwa_gives_more_weight_to_the_slower_task():
    from maxsight.models.balancers import DynamicWeightAverage
    bal = DynamicWeightAverage(temperature=2.0, window=2, tasks=dict(a=['loss_a'], b=['loss_b']))

    class Null:
        def update_params(self, loss):
            pass

    logs = []
    for step in range(6):  # task a halves every window, task b stays
        la = torch.tensor(8.0 / 2 ** (step // 2))
        logs.append(bal.train_step(None, dict(loss_a=la, loss_b=torch.tensor(1.0)), Null()))
    assert float(logs[3]['task_weight/a']) == 1.0  # first two windows: weights 1
    wa, wb = float(logs[5]['task_weight/a']), float(logs[5]['task_weight/b'])
    expected_a = 2 * torch.softmax(torch.tensor([0.5, 1.0]) / 2.0, 0)[0]
    assert wa == __import__('pytest').approx(float(expected_a), rel=1e-5)
    assert wb > wa and wa + wb == __import__('pytest').approx(2.0)


def test_pcgrad_removes_conflicts():
    from maxsight.models.balancers import pcgrad_project
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        a, b = torch.randn(10, generator=g), torch.randn(10, generator=g)
        b = b - 2 * a if torch.dot(a, b) >= 0 else b  # make them conflict
        assert torch.dot(a, b) < 0
        pa, pb = pcgrad_project([a, b], g)
        assert torch.dot(pa, b) >= -1e-5 and torch.dot(pb, a) >= -1e-5
        assert torch.allclose(pa, a - torch.dot(a, b) / b.dot(b) * b)
    same = pcgrad_project([a, 2 * a], g)  # no conflict: untouched
    assert torch.equal(same[0], a) and torch.equal(same[1], 2 * a)


def test_pcgrad_update_equals_projected_gradient_step():
    from maxsight.models.balancers import PCGrad, pcgrad_project
    model, d = TwoTask(), _data()
    params = [p.detach().clone() for p in model.parameters()]
    losses = model.losses(*d)
    flat = []
    for name in ('loss_a', 'loss_b'):
        grads = torch.autograd.grad(losses[name], list(model.parameters()), retain_graph=True,
                                    allow_unused=True)
        flat.append(torch.cat([(torch.zeros_like(p) if x is None else x).flatten()
                               for p, x in zip(model.parameters(), grads)]))
    expected = sum(pcgrad_project(flat, torch.Generator().manual_seed(0)))
    bal = PCGrad(seed=0, tasks=dict(a=['loss_a'], b=['loss_b']))
    bal.train_step(model, losses, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    moved = torch.cat([(p0 - p.detach()).flatten() for p0, p in zip(params, model.parameters())])
    assert torch.allclose(moved, 0.1 * expected, atol=1e-6)

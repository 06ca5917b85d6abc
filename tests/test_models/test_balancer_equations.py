"""Each task balancer's update equations against values computed here by hand (float64)
from the papers' definitions, not from the implementation."""
import numpy as np
import pytest
import torch
from torch import nn

from maxsight.models.balancers import GradNorm, pcgrad_project


def _adam(grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam steps of a sequence of gradients (numpy), as Kingma and Ba 2015."""
    m = v = np.zeros_like(grads[0])
    steps = []
    for t, g in enumerate(grads, 1):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        steps.append(lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps))
    return steps


def _gradnorm_reference(losses, norms, alpha, lr):
    """Weights after each GradNorm update (Chen et al. 2018): G_i = w_i ||grad L_i||,
    r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)), target G_mean r_i^alpha (constant),
    d|G - target|/dw = sign(G - target) ||grad L_i||, Adam, clamp 1e-3, renormalise to T."""
    w = np.ones(len(norms[0]))
    l0 = np.asarray(losses[0], np.float64)
    history, grads = [], []
    for L, n in zip(losses, norms):
        L, n = np.asarray(L, np.float64), np.asarray(n, np.float64)
        g = w * n
        ratio = L / l0
        rate = ratio / ratio.mean()
        target = g.mean() * rate ** alpha
        grads.append(np.sign(g - target) * n)
        step = _adam(grads, lr)[-1]
        new = np.maximum(w - step, 1e-3)
        w = new * len(w) / new.sum()
        history.append(w.copy())
    return history


def test_gradnorm_update_equals_the_paper_by_hand():
    """Shared parameter p = (p0, p1); L_a = 3 p0 (||grad|| = 3), L_b = p1^2 (||grad|| =
    2 p1): three updates with known losses and gradient norms."""
    bal = GradNorm(alpha=1.5, lr=0.025, shared_params=('p',))
    points = [(1.0, 2.0), (2.0, 1.0), (0.5, 3.0)]
    losses, norms = [], []
    for p0, p1 in points:
        p = torch.tensor([p0, p1], dtype=torch.float64, requires_grad=True)
        task = {'a': 3 * p[0], 'b': p[1] ** 2}
        bal.gradnorm_update(task, [p])
        losses.append([3 * p0, p1 ** 2])
        norms.append([3.0, 2 * p1])
        expected = _gradnorm_reference(losses, norms, alpha=1.5, lr=0.025)[-1]
        assert bal.weights.double().numpy() == pytest.approx(expected, rel=1e-5)
        assert float(bal.weights.sum()) == pytest.approx(2.0)  # renormalised to T
    # the first update moves both weights by lr (Adam's first step is lr x sign)
    assert _gradnorm_reference(losses, norms, 1.5, 0.025)[0] == pytest.approx([1.025, 0.975])


def test_gradnorm_alpha_zero_targets_the_mean_norm_and_alpha_matters():
    losses = [[3.0, 4.0], [6.0, 1.0]]
    norms = [[3.0, 4.0], [3.0, 2.0]]
    for alpha in (0.0, 1.5, 3.0):
        bal = GradNorm(alpha=alpha, lr=0.1, shared_params=('p',))
        for (p0, p1) in [(1.0, 2.0), (2.0, 1.0)]:
            p = torch.tensor([p0, p1], dtype=torch.float64, requires_grad=True)
            bal.gradnorm_update({'a': 3 * p[0], 'b': p[1] ** 2}, [p])
        expected = _gradnorm_reference(losses, norms, alpha, 0.1)[-1]
        assert bal.weights.double().numpy() == pytest.approx(expected, rel=1e-5), alpha


def test_gradnorm_relative_rate_divides_by_the_mean_ratio():
    """L(0) = (0.5, 1), then L = (1.5, 1): ratios (3, 1), mean 2, relative rates (1.5,
    0.5). With equal gradient norms task b's G is above its target G_mean 0.5^1.5; with
    the rates multiplied by the mean instead ((6, 2)) it would be below: the update's sign
    shows which."""
    bal = GradNorm(alpha=1.5, lr=0.025, shared_params=('p',))
    losses, norms = [], []
    for p0, p1 in [(0.25, 0.5), (0.75, 0.5)]:
        p = torch.tensor([p0, p1], dtype=torch.float64, requires_grad=True)
        bal.gradnorm_update({'a': 2 * p[0], 'b': 2 * p[1]}, [p])
        losses.append([2 * p0, 2 * p1])
        norms.append([2.0, 2.0])
    expected = _gradnorm_reference(losses, norms, alpha=1.5, lr=0.025)[-1]
    assert bal.weights.double().numpy() == pytest.approx(expected, rel=1e-5)
    assert expected[0] > expected[1]  # the task that learns slower gains weight


class _Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.tensor([1.0, 2.0]))


class _NoUpdate:
    def update_params(self, loss):
        pass


def test_gradnorm_update_interval_updates_every_kth_step_only():
    model = _Shared()
    bal = GradNorm(alpha=1.5, lr=0.025, shared_params=('p',), update_interval=3)
    seen = []
    for step in range(7):
        scale = 1.0 + step
        bal.train_step(model, dict(loss_a=3 * model.p[0] * scale,
                                   loss_b=(model.p[1] * scale) ** 2), _NoUpdate())
        seen.append(tuple(bal.weights.tolist()))
    assert seen[0] != (1.0, 1.0) and seen[1] == seen[0] and seen[2] == seen[0]
    assert seen[3] != seen[2] and seen[4] == seen[3] == seen[5] and seen[6] != seen[5]


def _project_reference(grads, orders):
    """PCGrad Algorithm 1 in float64: g_i minus its projection onto each g_j it
    conflicts with, in the given order of the other tasks."""
    grads = [np.asarray(g, np.float64) for g in grads]
    out = []
    for i, order in enumerate(orders):
        g = grads[i].copy()
        others = [j for j in range(len(grads)) if j != i]
        for k in order:
            gj = grads[others[k]]
            if g @ gj < 0:
                g = g - (g @ gj) / (gj @ gj) * gj
        out.append(g)
    return out


@pytest.mark.parametrize('num_tasks,scale', [(2, 1.0), (3, 1.0), (4, 1.0), (3, 1e-3)])
def test_pcgrad_projection_equals_algorithm_1(num_tasks, scale):
    # scale 1e-3: gradients of norm << 1, where a clamp of ||g_j||^2 would show
    gen = torch.Generator().manual_seed(num_tasks)
    grads = [scale * torch.randn(6, generator=gen, dtype=torch.float64)
             for _ in range(num_tasks)]
    grads[1] = -grads[0] + 0.3 * grads[1]  # at least one conflicting pair
    order_gen = torch.Generator().manual_seed(7)
    orders = [torch.randperm(num_tasks - 1, generator=order_gen).tolist()
              for _ in range(num_tasks)]
    got = pcgrad_project(grads, torch.Generator().manual_seed(7))
    for g, ref in zip(got, _project_reference(grads, orders)):
        assert g.numpy() == pytest.approx(ref, rel=1e-10, abs=1e-12 * scale)
    assert any(not torch.equal(g, h) for g, h in zip(got, grads))  # something projected


class _Capture:
    """An optim wrapper that records the total loss it is given."""

    def __init__(self):
        self.totals = []

    def update_params(self, loss):
        self.totals.append(float(loss))


def _dwa_reference(window_losses, temperature):
    """DWA (Liu et al. 2019) in float64: weights 1 for the first two windows, then
    T softmax(r / tau) with r_i = Lbar_i(k-1) / Lbar_i(k-2) over the window means."""
    means = [np.mean(np.asarray(w, np.float64), axis=0) for w in window_losses]
    out = [np.ones(2)] * 2
    for k in range(2, len(means) + 1):
        r = means[k - 1] / means[k - 2]
        e = np.exp(r / temperature)
        out.append(2 * e / e.sum())
    return out  # out[k]: the weights used during window k


@pytest.mark.parametrize('temperature', [2.0, 0.5])
def test_dwa_weights_equal_the_paper_window_by_window(temperature):
    from maxsight.models.balancers import DynamicWeightAverage
    windows = [[(4.0, 2.0), (2.0, 2.0), (3.0, 2.0)],   # means (3, 2)
               [(1.0, 2.0), (2.0, 1.0), (3.0, 1.5)],   # (2, 1.5)
               [(1.0, 1.0), (1.0, 1.4), (1.3, 1.1)],   # (1.1, 1.1667)
               [(0.5, 1.0), (0.6, 1.0), (0.7, 1.0)]]
    bal = DynamicWeightAverage(temperature=temperature, window=3,
                               tasks=dict(a=['loss_a'], b=['loss_b']))
    ref = _dwa_reference(windows, temperature)
    model, optim = _Shared(), _Capture()
    for k, window in enumerate(windows):
        for la, lb in window:
            logged = bal.train_step(model, dict(loss_a=torch.tensor(la),
                                                loss_b=torch.tensor(lb)), optim)
            w = ref[k]
            assert [logged['task_weight/a'], logged['task_weight/b']] == pytest.approx(w,
                                                                                      rel=1e-6)
            assert optim.totals[-1] == pytest.approx(w[0] * la + w[1] * lb, rel=1e-6)
    assert int(bal.windows_done) == 4 and int(bal.steps_in_window) == 0
    assert not np.allclose(ref[2], 1.0) and not np.allclose(ref[3], ref[2])


def test_dwa_defaults_and_argument_checks():
    from maxsight.models.balancers import DynamicWeightAverage
    bal = DynamicWeightAverage()
    assert (bal.temperature, bal.window) == (2.0, 100)
    for kwargs in (dict(window=0), dict(temperature=0.0), dict(temperature=-1.0)):
        with pytest.raises(ValueError, match='window >= 1 and temperature > 0 needed'):
            DynamicWeightAverage(**kwargs)
    DynamicWeightAverage(temperature=0.5, window=1)  # small but valid

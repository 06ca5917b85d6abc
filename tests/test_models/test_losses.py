import math

import pytest
import torch

from maxsight.models.losses import CrossEntropyLoss, FocalLoss, GIoULoss, L1Loss, QualityFocalLoss


def test_focal_loss_hand_computed():
    loss = FocalLoss(alpha=0.25, gamma=2.0, loss_weight=2.0)
    x = torch.tensor([[0.0, 1.0]])
    t = torch.tensor([[1.0, 0.0]])
    p0, p1 = 0.5, 1 / (1 + math.exp(-1.0))
    pos = 0.25 * (1 - p0) ** 2 * -math.log(p0)
    neg = 0.75 * p1 ** 2 * -math.log(1 - p1)
    assert loss(x, t, avg_factor=4.0).item() == pytest.approx(2.0 * (pos + neg) / 4.0, rel=1e-6)


def test_l1_and_giou_hand_computed():
    pred = torch.tensor([[0., 0., 2., 2.]])
    target = torch.tensor([[1., 1., 3., 3.]])
    assert L1Loss(loss_weight=5.0)(pred, target).item() == pytest.approx(5.0)  # mean 1
    # IoU = 1/7, enclosing area 9, union 7 -> GIoU = 1/7 - 2/9
    expected = 1 - (1 / 7 - 2 / 9)
    assert GIoULoss()(pred, target).item() == pytest.approx(expected, rel=1e-6)
    assert GIoULoss()(pred, pred).item() == pytest.approx(0.0, abs=1e-7)


def test_cross_entropy_and_empty_input():
    logits = torch.tensor([[2.0, 0.0, 0.0]])
    expected = -math.log(math.exp(2) / (math.exp(2) + 2))
    assert CrossEntropyLoss()(logits, torch.tensor([0])).item() == pytest.approx(expected)
    empty = torch.zeros(0, 3, requires_grad=True)
    out = CrossEntropyLoss()(empty, torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.0 and out.requires_grad


def test_quality_focal_loss_zero_at_target():
    x = torch.tensor([0.0])
    assert QualityFocalLoss()(x, torch.tensor([0.5])).item() == pytest.approx(0.0, abs=1e-8)
    bce = -(0.8 * math.log(0.5) + 0.2 * math.log(0.5))
    assert QualityFocalLoss(beta=2.0)(x, torch.tensor([0.8])).item() == pytest.approx(
        bce * 0.3 ** 2, rel=1e-6)


def test_losses_follow_their_arguments_against_torch_references():
    """Non-default arguments reach the computation: focal gamma 3 and alpha 0.4, label
    smoothing, per-element weights with an avg_factor below 1, and an empty input that
    still keeps the graph."""
    import torch.nn.functional as F
    from torchvision.ops import sigmoid_focal_loss

    from maxsight.models.losses import CrossEntropyLoss, FocalLoss, L1Loss
    g = torch.Generator().manual_seed(0)
    logits, target = torch.randn(5, 3, generator=g), (torch.rand(5, 3, generator=g) > 0.5)
    focal = FocalLoss(alpha=0.4, gamma=3.0, loss_weight=1.5)(logits, target.float())
    ref = sigmoid_focal_loss(logits, target.float(), alpha=0.4, gamma=3.0).mean() * 1.5
    assert torch.allclose(focal, ref)
    scores, labels = torch.randn(6, 4, generator=g), torch.tensor([0, 3, 1, 1, 2, 0])
    w = torch.tensor([1.0, 0.5, 2.0, 0.0, 1.0, 3.0])
    ce = CrossEntropyLoss(label_smoothing=0.1)(scores, labels, weight=w, avg_factor=0.5)
    ref = (F.cross_entropy(scores, labels, reduction='none', label_smoothing=0.1) * w).sum() / 0.5
    assert torch.allclose(ce, ref)
    l1 = L1Loss(loss_weight=2.0)(torch.ones(3, 4), torch.zeros(3, 4), avg_factor=0.25)
    assert float(l1) == 12 / 0.25 * 2.0  # sum over the avg_factor, not clamped to 1
    empty = torch.zeros(0, 4, requires_grad=True)
    out = L1Loss()(empty, torch.zeros(0, 4))
    assert float(out) == 0.0 and out.requires_grad

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

"""Box and regression losses: L1 and generalised IoU (torchvision)."""
from torch import Tensor
from torchvision.ops import generalized_box_iou_loss

from ...registry import MODELS
from .weighted_loss import WeightedLoss


@MODELS.register_module()
class L1Loss(WeightedLoss):
    """Elementwise |pred - target| (any matching shapes)."""

    def elementwise(self, pred: Tensor, target: Tensor) -> Tensor:
        return (pred - target).abs()


@MODELS.register_module()
class GIoULoss(WeightedLoss):
    """1 - GIoU between paired boxes [N, 4] xyxy (any consistent unit); one value per box."""

    def elementwise(self, pred: Tensor, target: Tensor) -> Tensor:
        return generalized_box_iou_loss(pred.float(), target.float(), reduction='none')

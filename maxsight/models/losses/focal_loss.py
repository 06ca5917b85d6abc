"""Sigmoid focal loss (Lin et al. 2017) via torchvision.ops.sigmoid_focal_loss."""
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import sigmoid_focal_loss

from ...registry import MODELS
from .weighted_loss import WeightedLoss


@MODELS.register_module()
class FocalLoss(WeightedLoss):
    """Elementwise focal loss on logits [..., C] against {0, 1} targets [..., C]."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, loss_weight: float = 1.0):
        super().__init__(loss_weight)
        self.alpha, self.gamma = alpha, gamma

    def elementwise(self, pred: Tensor, target: Tensor) -> Tensor:
        return sigmoid_focal_loss(pred, target.to(pred.dtype), self.alpha, self.gamma,
                                  reduction='none')


@MODELS.register_module()
class QualityFocalLoss(WeightedLoss):
    """Quality focal loss (Li et al. 2020, GFL): BCE against a soft target y in [0, 1]
    (e.g. the IoU of a matched box) scaled by |y - sigmoid(pred)|^beta."""

    def __init__(self, beta: float = 2.0, loss_weight: float = 1.0):
        super().__init__(loss_weight)
        self.beta = beta

    def elementwise(self, pred: Tensor, target: Tensor) -> Tensor:
        target = target.to(pred.dtype)
        scale = (target - pred.sigmoid()).abs().pow(self.beta)
        return F.binary_cross_entropy_with_logits(pred, target, reduction='none') * scale

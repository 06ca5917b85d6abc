"""Softmax cross-entropy over classes, with optional label smoothing."""
import torch.nn.functional as F
from torch import Tensor

from ...registry import MODELS
from .weighted_loss import WeightedLoss


@MODELS.register_module()
class CrossEntropyLoss(WeightedLoss):
    """Logits [N, K] against integer targets [N]; one value per row."""

    def __init__(self, label_smoothing: float = 0.0, loss_weight: float = 1.0):
        super().__init__(loss_weight)
        self.label_smoothing = label_smoothing

    def elementwise(self, pred: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(pred.float(), target.long(), reduction='none',
                               label_smoothing=self.label_smoothing)

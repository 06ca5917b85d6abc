"""Common base of MaxSight's losses: elementwise loss x weight, summed, / avg_factor."""
from typing import Optional

from torch import Tensor, nn


class WeightedLoss(nn.Module):
    """``loss_weight * sum(elementwise * weight) / avg_factor``.

    ``avg_factor`` defaults to the number of elements (a plain mean). Subclasses implement
    ``elementwise(pred, target) -> Tensor`` broadcastable with ``weight``.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def elementwise(self, pred: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        if pred.numel() == 0:
            return pred.sum() * 0.0  # keeps the graph (and DDP) happy with no positives
        loss = self.elementwise(pred, target)
        if weight is not None:
            loss = loss * weight
        denom = float(loss.numel()) if avg_factor is None else max(float(avg_factor), 1e-6)
        return self.loss_weight * loss.sum() / denom

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'

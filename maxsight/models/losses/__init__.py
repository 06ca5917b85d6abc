from .box_losses import GIoULoss, L1Loss
from .cross_entropy_loss import CrossEntropyLoss
from .focal_loss import FocalLoss, QualityFocalLoss
from .weighted_loss import WeightedLoss

__all__ = ['GIoULoss', 'L1Loss', 'CrossEntropyLoss', 'FocalLoss', 'QualityFocalLoss',
           'WeightedLoss']

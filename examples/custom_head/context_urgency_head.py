"""Example: a new head added outside the package, by subclassing a registered head.

``ContextUrgencyHead`` gives the distance/urgency branch an image-level context vector
(the mean of the class-tower features over the level), so the urgency of an object can
depend on what else is in the scene. Loaded with ``custom_imports`` (see
``t2_context_head.py``); nothing in ``maxsight/`` changes.
"""
import torch
from torch import Tensor, nn

from maxsight.models.heads import MultiTaskDenseHead
from maxsight.registry import MODELS


@MODELS.register_module()
class ContextUrgencyHead(MultiTaskDenseHead):
    """:class:`MultiTaskDenseHead` + a gated global-context term on attribute features."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ch = self.attr_tower[0].out_channels
        self.context = nn.Sequential(nn.Linear(ch, ch), nn.ReLU(inplace=True),
                                     nn.Linear(ch, ch))

    def attribute_features(self, cls_feat: Tensor, reg_feat: Tensor, coords: Tensor) -> Tensor:
        attr = super().attribute_features(cls_feat, reg_feat, coords)
        context = self.context(cls_feat.mean((2, 3)))  # [B, C]
        return attr + torch.tanh(context)[:, :, None, None]

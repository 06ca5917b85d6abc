"""T3: cross-task attention: distance/urgency features attend to class and box features."""
import torch
from torch import Tensor, nn

from ...registry import MODELS
from .multitask_dense_head import MultiTaskDenseHead


@MODELS.register_module()
class CrossTaskDenseHead(MultiTaskDenseHead):
    """:class:`MultiTaskDenseHead` whose attribute (distance, urgency) features query the
    class-tower and box-tower features of the same location with multi-head attention
    (keys/values: those two task tokens, each with a learned task embedding), added as a
    residual: urgency can weigh what the object is (class) against where and how big it is
    (box). The attention output projection starts at zero, so an untrained module is the
    identity (a model transferred from T2 starts where T2 ended)."""

    def __init__(self, *args, cross_heads: int = 4, **kwargs):
        super().__init__(*args, **kwargs)
        ch = self.attr_tower[0].out_channels
        self.cross_attn = nn.MultiheadAttention(ch, cross_heads, batch_first=True)
        self.task_embed = nn.Parameter(torch.zeros(2, ch))
        nn.init.normal_(self.task_embed, std=0.02)
        self.cross_norm = nn.LayerNorm(ch)  # normalises the query (pre-norm)
        nn.init.zeros_(self.cross_attn.out_proj.weight)
        nn.init.zeros_(self.cross_attn.out_proj.bias)

    def attribute_features(self, cls_feat: Tensor, reg_feat: Tensor, coords: Tensor) -> Tensor:
        attr = super().attribute_features(cls_feat, reg_feat, coords)
        b, c, h, w = attr.shape
        query = attr.permute(0, 2, 3, 1).reshape(b * h * w, 1, c)
        keys = torch.stack([cls_feat, reg_feat], 1)  # [B, 2, C, H, W]
        keys = keys.permute(0, 3, 4, 1, 2).reshape(b * h * w, 2, c) + self.task_embed
        update, _ = self.cross_attn(self.cross_norm(query), keys, keys, need_weights=False)
        out = query + update
        return out.reshape(b, h, w, c).permute(0, 3, 1, 2)

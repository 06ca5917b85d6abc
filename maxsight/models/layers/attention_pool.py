"""Attention pooling of a feature map to one vector per image (T1's scene read-out)."""
import torch
from torch import Tensor, nn

from ...registry import MODELS
from ...value_checks import is_positive_int


@MODELS.register_module()
class AttentionPool(nn.Module):
    """``f`` [B, C, H, W] -> [B, C]: the channels split into ``heads`` groups; group g is
    the sum over the H * W locations of softmax_i(s_g(f_i)) f_i[g], with s = a 1x1 conv
    (C -> heads) scoring each location.

    Why: the scene urgency is the highest urgency in view, and a mean over the locations
    dilutes one urgent object among the background; a learned softmax can weight it. The
    score starts at zero, so an untrained pool is the mean (T0's read-out) and a checkpoint
    without it computes what it did.
    """
    #: at its initialisation it is the mean it replaces (engine/transfer.py)
    neutral_at_init = True

    def __init__(self, channels: int, heads: int = 4):
        super().__init__()
        if not (is_positive_int(channels) and is_positive_int(heads)) or channels % heads:
            raise ValueError(f'AttentionPool: channels ({channels!r}, the head\'s in_channels) '
                             f'must be a positive int divisible by heads ({heads!r}); set '
                             'bbox_head.scene_pool.heads to a divisor of it')
        self.heads = heads
        self.score = nn.Conv2d(channels, heads, 1)
        nn.init.zeros_(self.score.weight)
        nn.init.zeros_(self.score.bias)

    def forward(self, f: Tensor) -> Tensor:
        b, c, h, w = f.shape
        weights = self.score(f).flatten(2).softmax(-1)  # [B, heads, H*W]
        groups = f.reshape(b, self.heads, c // self.heads, h * w)
        return torch.einsum('bgcn,bgn->bgc', groups, weights).reshape(b, c)

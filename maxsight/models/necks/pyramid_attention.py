"""Channel + spatial attention on every pyramid level (CBAM, Woo et al. 2018)."""
from typing import Sequence, Tuple

import torch
from torch import Tensor, nn

from ...registry import MODELS


@MODELS.register_module()
class PyramidAttention(nn.Module):
    """CBAM shared across levels: ``f * 2 sigma(MLP(avg(f)) + MLP(max(f)))`` (channel), then
    ``f * 2 sigma(conv7x7([mean_c(f), max_c(f)]))`` (spatial). The factor 2 (not in the
    paper) makes an untrained block start near identity instead of quartering the features.
    Shapes are preserved."""

    def __init__(self, channels: int, reduction: int = 4, kernel_size: int = 7):
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True),
                                 nn.Conv2d(hidden, channels, 1))
        self.spatial = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def attend(self, f: Tensor) -> Tensor:
        channel = 2 * torch.sigmoid(self.mlp(f.mean((2, 3), keepdim=True)) +
                                    self.mlp(f.amax((2, 3), keepdim=True)))
        f = f * channel
        spatial = 2 * torch.sigmoid(self.spatial(torch.cat([f.mean(1, keepdim=True),
                                                            f.amax(1, keepdim=True)], 1)))
        return f * spatial

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        return tuple(self.attend(f) for f in feats)

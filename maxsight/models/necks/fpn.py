"""Feature pyramid network (Lin et al. 2017): top-down pathway with lateral 1x1 convs."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS


@MODELS.register_module()
class FPN(nn.Module):
    """Inputs: backbone levels [B, in_channels[i], H_i, W_i] (finest first).
    Outputs: same number of levels, each [B, out_channels, H_i, W_i]."""

    def __init__(self, in_channels: Sequence[int], out_channels: int = 64):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.output = nn.ModuleList(
            nn.Sequential(nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
                          nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
            for _ in in_channels)
        self.out_channels = out_channels

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        laterals = [conv(f) for conv, f in zip(self.lateral, feats)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(
                laterals[i], size=laterals[i - 1].shape[-2:], mode='nearest')
        return tuple(conv(x) for conv, x in zip(self.output, laterals))

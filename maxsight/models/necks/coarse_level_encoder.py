"""Hybrid CNN + transformer: a transformer encoder over the coarse pyramid levels."""
from typing import Sequence, Tuple

import torch
from torch import nn

from ...registry import MODELS
from ..layers.positional_encoding import sine_positional_encoding


@MODELS.register_module()
class CoarseLevelEncoder(nn.Module):
    """Joint self-attention over the tokens of the pyramid levels in ``levels``.

    Tokens of all chosen levels (sine position + learned level embedding) are encoded
    together by ``num_layers`` pre-norm transformer layers, so every coarse location sees
    global context across scales; the encoder's update (its output minus its input) is
    added to each level.
    Finer levels pass through unchanged. Shapes are preserved: [B, C, H_i, W_i].
    """

    def __init__(self, channels: int = 64, levels: Sequence[int] = (1, 2), num_layers: int = 1,
                 num_heads: int = 4, ffn_channels: int = 128, dropout: float = 0.0):
        super().__init__()
        self.levels = tuple(levels)
        self.channels = channels
        layer = nn.TransformerEncoderLayer(channels, num_heads, ffn_channels, dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.level_embed = nn.Parameter(torch.zeros(len(self.levels), channels))
        nn.init.normal_(self.level_embed, std=0.02)

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        tokens, shapes = [], []
        for j, lvl in enumerate(self.levels):
            f = feats[lvl]
            b, c, h, w = f.shape
            pos = sine_positional_encoding(h, w, c, device=f.device).to(f.dtype)
            tokens.append(f.flatten(2).transpose(1, 2) + pos + self.level_embed[j])
            shapes.append((h, w))
        x = torch.cat(tokens, dim=1)
        update = self.encoder(x) - x  # what attention and FFN added, without the embeddings
        outs = list(feats)
        start = 0
        for lvl, (h, w) in zip(self.levels, shapes):
            part = update[:, start:start + h * w].transpose(1, 2).reshape(-1, self.channels, h, w)
            outs[lvl] = feats[lvl] + part
            start += h * w
        return tuple(outs)

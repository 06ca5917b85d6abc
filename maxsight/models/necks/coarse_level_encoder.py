"""Hybrid CNN + transformer: a transformer encoder over the coarse pyramid levels."""
from typing import Sequence, Tuple

import torch
from torch import nn

from ...registry import MODELS
from ..layers.drop_path_encoder_layer import DropPathEncoderLayer
from ..layers.positional_encoding import sine_positional_encoding


@MODELS.register_module()
class CoarseLevelEncoder(nn.Module):
    """Joint self-attention over the tokens of the pyramid levels in ``levels``.

    Tokens of all chosen levels (sine position + learned level embedding) are encoded
    together by ``num_layers`` pre-norm transformer layers, so every coarse location sees
    global context across scales; the encoder's update (its output minus its input) is
    added to each level.
    Finer levels pass through unchanged. Shapes are preserved: [B, C, H_i, W_i].

    ``drop_path``: stochastic-depth rate of the last layer, rising linearly from 0 over the
    layers (regularisation; 0 disables it).
    """

    def __init__(self, channels: int = 64, levels: Sequence[int] = (1, 2), num_layers: int = 1,
                 num_heads: int = 4, ffn_channels: int = 128, dropout: float = 0.0,
                 drop_path: float = 0.0):
        super().__init__()
        self.levels = tuple(levels)
        self.channels = channels
        if not 0.0 <= drop_path < 1.0:
            raise ValueError(f'CoarseLevelEncoder: drop_path must be in [0, 1), got {drop_path}')
        layer = DropPathEncoderLayer(channels, num_heads, ffn_channels, dropout)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        for i, lyr in enumerate(self.encoder.layers):  # linear rule: 0 ... drop_path
            lyr.drop_path.p = drop_path * i / max(num_layers - 1, 1) if num_layers > 1 \
                else drop_path
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

"""Hybrid CNN + transformer: a transformer encoder over pyramid levels (T2: all three; the
name is from when it read the coarse two only)."""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
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

    ``max_kv_tokens``: when the levels hold more tokens than this, attention reads keys and
    values average-pooled by the smallest integer factor r per side that brings them within
    it (spatial-reduction attention, Wang et al. 2021, PVT), so the cost grows with N K
    instead of N^2 (docs/benchmarks.md#how-cost-grows-with-the-work); every query stays.
    At or below it (the embedded default's 256x192 images) attention is over every token.
    None: always every token.
    """

    def __init__(self, channels: int = 64, levels: Sequence[int] = (1, 2), num_layers: int = 1,
                 num_heads: int = 4, ffn_channels: int = 128, dropout: float = 0.0,
                 drop_path: float = 0.0, max_kv_tokens: Optional[int] = 1024):
        super().__init__()
        self.levels = tuple(levels)
        self.channels = channels
        if max_kv_tokens is not None and max_kv_tokens < len(self.levels):
            raise ValueError(f'CoarseLevelEncoder: max_kv_tokens must hold a token per level '
                             f'(>= {len(self.levels)}) or be None, got {max_kv_tokens}')
        self.max_kv_tokens = max_kv_tokens
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
        reduce_kv = self.kv_reducer(shapes)
        y = x
        for layer in self.encoder.layers:  # what nn.TransformerEncoder does, with the reducer
            y = layer(y, reduce_kv=reduce_kv)
        update = y - x  # what attention and FFN added, without the embeddings
        outs = list(feats)
        start = 0
        for lvl, (h, w) in zip(self.levels, shapes):
            part = update[:, start:start + h * w].transpose(1, 2).reshape(-1, self.channels, h, w)
            outs[lvl] = feats[lvl] + part
            start += h * w
        return tuple(outs)

    def reduction_factor(self, shapes: Sequence[Tuple[int, int]]) -> int:
        """The smallest r with sum ceil(h / r) ceil(w / r) <= ``max_kv_tokens`` (1: none)."""
        if self.max_kv_tokens is None:
            return 1
        r = 1
        while sum(math.ceil(h / r) * math.ceil(w / r) for h, w in shapes) > self.max_kv_tokens:
            r += 1
        return r

    def kv_reducer(self, shapes: List[Tuple[int, int]]):
        """None, or the function that pools normalised tokens [B, N, C] level by level to
        the keys / values [B, K, C] (adaptive average pooling to ceil(h / r) x ceil(w / r))."""
        r = self.reduction_factor(shapes)
        if r == 1:
            return None

        def reduce(tokens: torch.Tensor) -> torch.Tensor:
            out, start = [], 0
            for h, w in shapes:
                part = tokens[:, start:start + h * w].transpose(1, 2).reshape(
                    tokens.shape[0], -1, h, w)
                pooled = F.adaptive_avg_pool2d(part, (math.ceil(h / r), math.ceil(w / r)))
                out.append(pooled.flatten(2).transpose(1, 2))
                start += h * w
            return torch.cat(out, dim=1)
        return reduce

"""T4: per-image audio features fused into the visual pyramid."""
from typing import Sequence, Tuple

from torch import Tensor, nn

from ...registry import MODELS
from .positional_encoding import sine_positional_encoding


@MODELS.register_module()
class AudioFusion(nn.Module):
    """Encode log-mel features [B, n_mels, T] with a small 1-D CNN into tokens [B, T/2, C];
    then (a) the tokens of the pyramid levels in ``levels`` attend to the audio tokens
    (cross-attention, residual) and (b) the pooled audio embedding modulates every level
    (FiLM: ``f * (1 + gamma) + beta``). The attention output projection and the FiLM are
    zero-initialised: an untrained module is the identity, so training (or a model
    transferred from a lower tier) starts from vision alone."""

    def __init__(self, channels: int, n_mels: int = 32, levels: Sequence[int] = (1, 2),
                 num_heads: int = 4):
        super().__init__()
        self.levels = tuple(levels)
        self.encoder = nn.Sequential(
            nn.Conv1d(n_mels, channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(inplace=True))
        self.cross_attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(channels)
        nn.init.zeros_(self.cross_attn.out_proj.weight)
        nn.init.zeros_(self.cross_attn.out_proj.bias)
        self.film = nn.Linear(channels, 2 * channels)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, feats: Sequence[Tensor], audio: Tensor) -> Tuple[Tensor, ...]:
        tokens = self.encoder(audio.float()).transpose(1, 2)  # [B, T', C]
        tokens = tokens + sine_positional_encoding(1, tokens.shape[1], tokens.shape[2],
                                                   tokens.device)
        gamma, beta = self.film(tokens.mean(1)).chunk(2, dim=1)
        outs = []
        for lvl, f in enumerate(feats):
            if lvl in self.levels:
                b, c, h, w = f.shape
                q = f.flatten(2).transpose(1, 2)
                update, _ = self.cross_attn(self.norm(q), tokens, tokens, need_weights=False)
                f = f + update.transpose(1, 2).reshape(b, c, h, w)
            outs.append(f * (1 + gamma[:, :, None, None]) + beta[:, :, None, None])
        return tuple(outs)

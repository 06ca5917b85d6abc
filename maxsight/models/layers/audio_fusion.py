"""T4: per-image stereo audio features fused into the visual pyramid."""
from typing import Sequence, Tuple

from torch import Tensor, nn

from ...registry import MODELS
from .audio_direction import AudioDirectionMap
from .positional_encoding import sine_positional_encoding


@MODELS.register_module()
class AudioFusion(nn.Module):
    """Fuse stereo log-mel features [B, 2, n_mels, T] (left, right) into the pyramid.

    (a) Where: :class:`AudioDirectionMap` gives each column of a level the spectrum heard
    from its direction [B, n_mels, W]; a two-layer 1x1 projection turns it into [B, C, W],
    added to every row of every level, so a sound raises the features of the columns it
    comes from (a car heard on the left, in view, half out of it or occluded).
    (b) What: a small 1-D CNN encodes both ears [B, 2 n_mels, T] into tokens [B, T/2, C];
    the tokens of the levels in ``levels`` attend to them (cross-attention, residual) and
    their mean modulates every level (FiLM: ``f * (1 + gamma) + beta``).
    The last layers of all three are zero-initialised: an untrained module is the identity,
    so training (or a model transferred from a lower tier) starts from vision alone.
    ``half_fov_deg`` is the camera's horizontal half field of view (the embedded set's is
    40-46 degrees) and ``direction_sigma`` the width of a column's direction kernel, in
    sine of azimuth."""

    def __init__(self, channels: int, n_mels: int = 32, levels: Sequence[int] = (1, 2),
                 num_heads: int = 4, half_fov_deg: float = 43.0, direction_sigma: float = 0.15):
        super().__init__()
        self.levels = tuple(levels)
        self.direction = AudioDirectionMap(n_mels, half_fov_deg, direction_sigma)
        self.column_proj = nn.Sequential(
            nn.Conv1d(n_mels, channels, 1), nn.ReLU(inplace=True), nn.Conv1d(channels, channels, 1))
        nn.init.zeros_(self.column_proj[2].weight)
        nn.init.zeros_(self.column_proj[2].bias)
        self.encoder = nn.Sequential(
            nn.Conv1d(2 * n_mels, channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(inplace=True))
        self.cross_attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(channels)
        nn.init.zeros_(self.cross_attn.out_proj.weight)
        nn.init.zeros_(self.cross_attn.out_proj.bias)
        self.film = nn.Linear(channels, 2 * channels)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, feats: Sequence[Tensor], audio: Tensor) -> Tuple[Tensor, ...]:
        """``feats``: pyramid levels [B, C, H_l, W_l]; ``audio``: [B, 2, n_mels, T]."""
        if audio.dim() != 4 or audio.shape[1] != 2:
            raise ValueError(f'AudioFusion: expected stereo log-mel [B, 2, n_mels, T], got '
                             f'{list(audio.shape)} (LoadAudioFeatures and '
                             f'maxsight.apis.inference make mono input stereo)')
        audio = audio.float()
        tokens = self.encoder(audio.flatten(1, 2)).transpose(1, 2)  # [B, T', C]
        tokens = tokens + sine_positional_encoding(1, tokens.shape[1], tokens.shape[2],
                                                   tokens.device)
        gamma, beta = self.film(tokens.mean(1)).chunk(2, dim=1)
        outs = []
        for lvl, f in enumerate(feats):
            b, c, h, w = f.shape
            f = f + self.column_proj(self.direction(audio, w))[:, :, None, :]
            if lvl in self.levels:
                q = f.flatten(2).transpose(1, 2)
                update, _ = self.cross_attn(self.norm(q), tokens, tokens, need_weights=False)
                f = f + update.transpose(1, 2).reshape(b, c, h, w)
            outs.append(f * (1 + gamma[:, :, None, None]) + beta[:, :, None, None])
        return tuple(outs)

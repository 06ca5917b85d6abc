"""Where a scene's sounds come from, per image column, from stereo log-mel features."""
import math

import torch
from torch import Tensor, nn


class AudioDirectionMap(nn.Module):
    """Per-column spectra of stereo audio: what is heard from the direction each column sees.

    For each mel band b of the features [B, 2, F, T] (left, right log-mel): the powers
    ``P_L``, ``P_R`` averaged over the frames; their excess over the ambient floor ``N_b``
    (learned per band, initialised at ``exp(log_floor)``), ``E = relu(P - N_b / 2)`` per
    ear; and the sine of the band's azimuth ``s_b = (E_R - E_L) / (E_R + E_L)``, which
    inverts the sine-law panning exactly when one source dominates the band, clamped to
    the edges of the view (a source beside the camera is heard at the nearest edge).
    Column x of W (pixel centres, ``u_x`` in (-1, 1)) looks along
    ``s_x = sin(atan(u_x * tan(half_fov)))``; its spectrum is
    ``S_xb = log1p((E_L + E_R) / N_b * exp(-(s_b - s_x)**2 / (2 * sigma**2)))``.
    """

    def __init__(self, n_mels: int, half_fov_deg: float = 43.0, sigma: float = 0.15,
                 log_floor: float = -4.0):
        super().__init__()
        if not 0 < half_fov_deg < 90:
            raise ValueError(f'AudioDirectionMap: half_fov_deg must be in (0, 90), got '
                             f'{half_fov_deg}')
        if sigma <= 0:
            raise ValueError(f'AudioDirectionMap: sigma must be > 0, got {sigma}')
        self.tan_half_fov = math.tan(math.radians(half_fov_deg))
        self.sigma = sigma
        self.log_floor = nn.Parameter(torch.full((n_mels,), float(log_floor)))

    def band_directions(self, audio: Tensor) -> tuple:
        """Excess power [B, F] (both ears) and sine of azimuth [B, F] of each band."""
        power = audio.float().exp().mean(-1)  # [B, 2, F]
        floor = self.log_floor.exp()
        excess = torch.relu(power - floor / 2)
        left, right = excess.unbind(1)
        total = left + right
        edge = math.sin(math.atan(self.tan_half_fov))
        sine = ((right - left) / total.clamp_min(1e-12)).clamp(-edge, edge)
        return total / floor, sine

    def forward(self, audio: Tensor, width: int) -> Tensor:
        """Stereo log-mel [B, 2, F, T] -> per-column spectra [B, F, width]."""
        if audio.dim() != 4 or audio.shape[1] != 2:
            raise ValueError(f'AudioDirectionMap: expected stereo log-mel [B, 2, F, T], got '
                             f'{list(audio.shape)}')
        level, sine = self.band_directions(audio)
        u = (torch.arange(width, device=audio.device, dtype=torch.float32) + 0.5) / width * 2 - 1
        column = torch.sin(torch.atan(u * self.tan_half_fov))  # [W]
        near = torch.exp(-(sine[..., None] - column) ** 2 / (2 * self.sigma ** 2))
        return torch.log1p(level[..., None] * near)

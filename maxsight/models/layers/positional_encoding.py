"""2-D sine positional encoding (as in DETR), for tokens laid out on a feature map."""
import math

import torch


def sine_positional_encoding(h: int, w: int, dim: int, device=None,
                             temperature: float = 10000.0) -> torch.Tensor:
    """Returns [h * w, dim] encodings of row-major grid positions, coordinates normalised
    to (0, 2*pi]; half the channels encode y, half x. ``dim`` must be divisible by 4."""
    if dim % 4:
        raise ValueError(f'positional encoding dim must be divisible by 4, got {dim}')
    ys = (torch.arange(h, device=device, dtype=torch.float32) + 1) / h * 2 * math.pi
    xs = (torch.arange(w, device=device, dtype=torch.float32) + 1) / w * 2 * math.pi
    quarter = dim // 4
    freq = temperature ** (torch.arange(quarter, device=device, dtype=torch.float32) / quarter)
    y_enc = ys[:, None] / freq  # [h, q]
    x_enc = xs[:, None] / freq  # [w, q]
    y_enc = torch.cat([y_enc.sin(), y_enc.cos()], dim=1)[:, None, :].expand(h, w, 2 * quarter)
    x_enc = torch.cat([x_enc.sin(), x_enc.cos()], dim=1)[None, :, :].expand(h, w, 2 * quarter)
    return torch.cat([y_enc, x_enc], dim=2).reshape(h * w, dim)

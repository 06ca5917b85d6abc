"""T5: temporal self-attention over the frames of a clip, per pyramid location."""
from typing import Sequence, Tuple

from torch import Tensor, nn

from ...registry import MODELS
from .positional_encoding import sine_positional_encoding


@MODELS.register_module()
class TemporalAttention(nn.Module):
    """For every level and location, the T frame features attend to each other (one
    pre-norm transformer layer with frame-position encoding); padded frames are masked
    as keys and left unchanged. The layer's output projections start at zero, so an
    untrained module is the identity (a model transferred from T4 starts where T4 ended).
    In/out: per level [B * T, C, H, W] (clip-major)."""

    def __init__(self, channels: int, num_heads: int = 4, ffn_channels: int = 128,
                 levels: Sequence[int] = (0, 1, 2)):
        super().__init__()
        self.levels = tuple(levels)
        self.layer = nn.TransformerEncoderLayer(channels, num_heads, ffn_channels, 0.0,
                                                batch_first=True, norm_first=True)
        for proj in (self.layer.self_attn.out_proj, self.layer.linear2):
            nn.init.zeros_(proj.weight)
            nn.init.zeros_(proj.bias)

    def forward(self, feats: Sequence[Tensor], padding_mask: Tensor) -> Tuple[Tensor, ...]:
        b, t = padding_mask.shape
        outs = []
        for lvl, f in enumerate(feats):
            if lvl not in self.levels:
                outs.append(f)
                continue
            bt, c, h, w = f.shape
            x = f.reshape(b, t, c, h * w).permute(0, 3, 1, 2).reshape(b * h * w, t, c)
            x = x + sine_positional_encoding(1, t, c, f.device).to(f.dtype)
            mask = padding_mask[:, None, :].expand(b, h * w, t).reshape(b * h * w, t)
            y = self.layer(x, src_key_padding_mask=mask) - x
            y = y.masked_fill(mask[..., None], 0.0)
            y = y.reshape(b, h * w, t, c).permute(0, 2, 3, 1).reshape(bt, c, h, w)
            outs.append(f + y)
        return tuple(outs)


def temporal_consistency(cls_logits: Tensor, scene_logits: Tensor, padding_mask: Tensor
                         ) -> Tensor:
    """Mean L1 change between consecutive valid frames of (a) which classes are present
    (max over locations of sigmoid class scores) and (b) the scene-urgency distribution.

    ``cls_logits`` [B * T, N, C], ``scene_logits`` [B * T, 4], ``padding_mask`` [B, T].
    """
    b, t = padding_mask.shape
    presence = cls_logits.float().sigmoid().amax(1).reshape(b, t, -1)
    scene = scene_logits.float().softmax(-1).reshape(b, t, -1)
    valid = ~padding_mask
    pair = (valid[:, 1:] & valid[:, :-1]).float()  # [B, T-1]
    if pair.sum() == 0:
        return cls_logits.sum() * 0.0
    diff = ((presence[:, 1:] - presence[:, :-1]).abs().mean(-1) +
            (scene[:, 1:] - scene[:, :-1]).abs().sum(-1))
    return (diff * pair).sum() / pair.sum()

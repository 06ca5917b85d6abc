"""A pre-norm transformer encoder layer with drop path (stochastic depth) on its residuals."""
from typing import Callable, Optional

from torch import Tensor, nn
from torchvision.ops import StochasticDepth


class DropPathEncoderLayer(nn.TransformerEncoderLayer):
    """:class:`torch.nn.TransformerEncoderLayer` (pre-norm, batch first) whose attention and
    feed-forward branches are each dropped for a whole sample with probability
    ``drop_path`` during training (Huang et al. 2016, as in DeiT / Swin), the kept ones
    scaled by 1 / (1 - p). Same parameters and state-dict keys as the torch layer, so
    checkpoints move between the two; ``drop_path=0`` computes exactly what it computes.

    Input and output: tokens [B, N, C]. ``reduce_kv`` (optional): maps the normalised
    tokens [B, N, C] to the keys and values [B, K, C] attention reads (spatial-reduction
    attention, as in PVT); None: every token is a key, as in the torch layer.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float = 0.0,
                 drop_path: float = 0.0):
        super().__init__(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                         norm_first=True)
        self.drop_path = StochasticDepth(drop_path, mode='row')

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None, is_causal: bool = False,
                reduce_kv: Optional[Callable[[Tensor], Tensor]] = None) -> Tensor:
        x = src
        q = self.norm1(x)
        if reduce_kv is None:
            attn = self._sa_block(q, src_mask, src_key_padding_mask, is_causal=is_causal)
        else:
            kv = reduce_kv(q)
            attn = self.dropout1(self.self_attn(q, kv, kv, need_weights=False)[0])
        x = x + self.drop_path(attn)
        return x + self.drop_path(self._ff_block(self.norm2(x)))

"""A pre-norm transformer encoder layer with drop path (stochastic depth) on its residuals."""
from typing import Optional

from torch import Tensor, nn
from torchvision.ops import StochasticDepth


class DropPathEncoderLayer(nn.TransformerEncoderLayer):
    """:class:`torch.nn.TransformerEncoderLayer` (pre-norm, batch first) whose attention and
    feed-forward branches are each dropped for a whole sample with probability
    ``drop_path`` during training (Huang et al. 2016, as in DeiT / Swin), the kept ones
    scaled by 1 / (1 - p). Same parameters and state-dict keys as the torch layer, so
    checkpoints move between the two; ``drop_path=0`` computes exactly what it computes.

    Input and output: tokens [B, N, C].
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float = 0.0,
                 drop_path: float = 0.0):
        super().__init__(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                         norm_first=True)
        self.drop_path = StochasticDepth(drop_path, mode='row')

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None,
                is_causal: bool = False) -> Tensor:
        x = src
        x = x + self.drop_path(self._sa_block(self.norm1(x), src_mask, src_key_padding_mask,
                                              is_causal=is_causal))
        return x + self.drop_path(self._ff_block(self.norm2(x)))

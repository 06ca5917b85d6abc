from .coarse_level_encoder import CoarseLevelEncoder
from .fpn import FPN
from .pyramid_attention import PyramidAttention

__all__ = ['CoarseLevelEncoder', 'FPN', 'PyramidAttention']

from .coarse_level_encoder import CoarseLevelEncoder
from .fpn import FPN

__all__ = ['CoarseLevelEncoder', 'FPN']

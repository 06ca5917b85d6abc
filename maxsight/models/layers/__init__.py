from .condition_film import ConditionFiLM, condition_indices, spatial_priority
from .positional_encoding import sine_positional_encoding

__all__ = ['ConditionFiLM', 'condition_indices', 'spatial_priority', 'sine_positional_encoding']

from .attention_pool import AttentionPool
from .audio_direction import AudioDirectionMap
from .audio_fusion import AudioFusion
from .clip_motion import ClipMotionRefiner, masked_slope
from .condition_film import ConditionFiLM, condition_indices, spatial_priority
from .positional_encoding import sine_positional_encoding
from .temporal_module import TemporalAttention, temporal_consistency

__all__ = ['AttentionPool', 'AudioDirectionMap', 'AudioFusion', 'ClipMotionRefiner', 'masked_slope',
           'ConditionFiLM', 'condition_indices', 'spatial_priority', 'sine_positional_encoding',
           'TemporalAttention', 'temporal_consistency']

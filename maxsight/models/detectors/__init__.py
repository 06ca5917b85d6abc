from .maxsight_detector import MaxSightDetector
from .temporal_detector import TemporalDetector

__all__ = ['MaxSightDetector', 'TemporalDetector']

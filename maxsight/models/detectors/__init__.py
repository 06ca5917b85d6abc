from .maxsight_detector import MaxSightDetector

__all__ = ['MaxSightDetector']

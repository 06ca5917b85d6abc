from .inference import DetectionResult, inference, init_model

__all__ = ['DetectionResult', 'inference', 'init_model']

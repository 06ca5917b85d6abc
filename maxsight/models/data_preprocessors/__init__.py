from .clip_data_preprocessor import ClipDataPreprocessor
from .det_data_preprocessor import DetDataPreprocessor

__all__ = ['ClipDataPreprocessor', 'DetDataPreprocessor']

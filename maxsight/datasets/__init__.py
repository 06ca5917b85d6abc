from . import transforms  # noqa: F401  (registers transforms)
from .assistive_coco import AssistiveCocoDataset
from .coco_parsing import AnnotationError, ParsedCoco, parse_coco_file
from .synthetic import generate_synthetic_dataset

__all__ = ['AssistiveCocoDataset', 'AnnotationError', 'ParsedCoco', 'parse_coco_file',
           'generate_synthetic_dataset']

from . import transforms  # noqa: F401  (registers transforms)
from .assistive_coco import AssistiveCocoDataset
from .coco_parsing import AnnotationError, ParsedCoco, parse_coco_file
from .samplers import ClassBalancedSampler, MultiSourceSampler
from .synthetic import generate_synthetic_dataset

__all__ = ['AssistiveCocoDataset', 'AnnotationError', 'ParsedCoco', 'parse_coco_file',
           'ClassBalancedSampler', 'MultiSourceSampler', 'generate_synthetic_dataset']

from . import transforms  # noqa: F401  (registers transforms)
from .assistive_coco import AssistiveCocoDataset
from .coco_parsing import AnnotationError, ParsedCoco, parse_coco_file
from .collate import clip_collate
from .samplers import ClassBalancedSampler, MultiSourceSampler
from .synthetic import generate_synthetic_dataset
from .worker_seed import seed_worker

__all__ = ['AssistiveCocoDataset', 'AnnotationError', 'ParsedCoco', 'parse_coco_file',
           'ClassBalancedSampler', 'MultiSourceSampler', 'clip_collate',
           'generate_synthetic_dataset', 'seed_worker']

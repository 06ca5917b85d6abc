from .assistive_metric import AssistiveMetric, match_detections
from .coco_metric import CocoMetric, coco_box_eval, load_coco_gt, to_coco_results
from .lighting_metric import LightingMetric, recall_at_iou50

__all__ = ['AssistiveMetric', 'match_detections', 'CocoMetric', 'coco_box_eval',
           'load_coco_gt', 'to_coco_results', 'LightingMetric', 'recall_at_iou50']

from .coco_metric import CocoMetric, coco_box_eval, load_coco_gt, to_coco_results

__all__ = ['CocoMetric', 'coco_box_eval', 'load_coco_gt', 'to_coco_results']

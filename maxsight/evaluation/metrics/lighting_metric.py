"""Per-lighting-bucket COCO mAP and recall (``lighting/<bucket>/bbox_mAP``, ``.../recall``)."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from ...datasets.labels import LIGHTING_BUCKETS
from ...registry import METRICS
from .coco_metric import (CocoMetric, check_evaluated_images, coco_box_eval, load_coco_gt,
                          to_coco_results)


def recall_at_iou50(evaluator) -> float:
    """Share of ground-truth objects found at IoU >= 0.5 (maxDets 100, all areas), averaged
    over the classes that have ground truth; from an accumulated COCOeval."""
    rec = evaluator.eval['recall'][0, :, 0, -1]  # [T, K, A, M] -> IoU .5, all, 100
    rec = rec[rec > -1]
    return float(rec.mean()) if rec.size else 0.0


@METRICS.register_module()
class LightingMetric(CocoMetric):
    """COCO mAP and recall@IoU0.5 of the images of each lighting bucket (DESIGN 6).

    An image's bucket is its ``lighting`` field or, when absent, the one derived from its
    pixels at load time. Buckets without images are left out (no key).
    """
    default_prefix: Optional[str] = 'lighting'

    def __init__(self, ann_file: Optional[str] = None, backend: str = 'auto', **kwargs):
        kwargs.setdefault('classwise', False)
        super().__init__(ann_file=ann_file, backend=backend, quiet=True, **kwargs)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        start = len(self.results)
        super().process(data_batch, data_samples)
        for res, sample in zip(self.results[start:], data_samples):
            res['lighting'] = sample.get('lighting')

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if self._coco_gt is None:
            self._coco_gt = load_coco_gt(self.ann_file, self.backend)
        check_evaluated_images(self._coco_gt, results, self.ann_file)
        by_bucket = defaultdict(list)
        for res in results:
            by_bucket[res['lighting']].append(res)
        metrics = {}
        for bucket in LIGHTING_BUCKETS:
            subset = by_bucket.get(bucket)
            if not subset:
                continue
            metrics[f'{bucket}/num_images'] = float(len(subset))
            coco_results = to_coco_results(subset, self.dataset_meta['cat_ids'])
            if not coco_results:  # pycocotools' loadRes cannot take an empty list
                metrics[f'{bucket}/bbox_mAP'] = metrics[f'{bucket}/recall'] = 0.0
                continue
            ev = coco_box_eval(self._coco_gt, coco_results, [r['img_id'] for r in subset],
                               self.backend, quiet=True)
            metrics[f'{bucket}/bbox_mAP'] = float(ev.stats[0])  # -1: bucket has no objects
            metrics[f'{bucket}/recall'] = recall_at_iou50(ev)
        return metrics

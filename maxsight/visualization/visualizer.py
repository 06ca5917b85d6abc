"""``MaxSightVisualizer``: mmengine's Visualizer that draws a data sample's predictions
beside its ground truth (:mod:`maxsight.visualization.render`) and hands the picture to
every configured vis backend (``LocalVisBackend``: ``<work_dir>/<time>/vis_data/vis_image``;
``TensorboardVisBackend``: TensorBoard's images tab)."""
from typing import Optional, Sequence

import numpy as np
from mmengine.visualization import Visualizer

from ..datasets.labels import heard_sides
from ..registry import VISUALIZERS
from .render import (DEFAULT_DISPLAY_THR, DISPLAY_NMS_IOU, Objects, render_scene,
                     shown_indices, told_scene_urgency)


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if hasattr(t, 'detach') else np.asarray(t)


def render_data_sample(image: np.ndarray, data_sample, class_names: Sequence[str],
                       score_thr: float = DEFAULT_DISPLAY_THR, draw_gt: bool = True,
                       nms_iou: Optional[float] = DISPLAY_NMS_IOU, min_side: int = 480
                       ) -> np.ndarray:
    """RGB picture of ``data_sample`` on ``image`` (its original pixels): the shown
    predictions (score >= ``score_thr``, one box per object) and, with ``draw_gt`` and
    ground truth in the sample, the ground truth on the left."""
    pred = data_sample.pred_instances
    keep = shown_indices(_np(pred.bboxes), _np(pred.scores), score_thr, nms_iou)
    urgency = _np(pred.urgency)[keep]
    shown = Objects(_np(pred.bboxes)[keep], _np(pred.labels)[keep],
                    _np(pred.scores)[keep], _np(pred.distance_m)[keep], urgency)
    gt = None
    if draw_gt and 'gt_instances' in data_sample:
        g = data_sample.gt_instances
        sx, sy = data_sample.metainfo.get('scale_factor', (1.0, 1.0))
        boxes = _np(g.bboxes) / np.array([sx, sy, sx, sy], np.float32)
        gt = Objects(boxes, _np(g.labels), None,
                     _np(g.distance_m) if 'distance_m' in g else None,
                     _np(g.urgency) if 'urgency' in g else None)
    scene = data_sample.metainfo.get('pred_scene_urgency')
    scene = told_scene_urgency(scene, urgency) if scene is not None else None
    return render_scene(image, shown, class_names, gt, scene,
                        f'(score >= {score_thr:.2f})', min_side,
                        heard=heard_sides(data_sample.metainfo.get('pred_beside_hazard')))


@VISUALIZERS.register_module()
class MaxSightVisualizer(Visualizer):
    """Args (besides mmengine's): ``min_side``: pictures are scaled up until their
    shorter side has this many pixels (small images stay readable)."""

    def __init__(self, name: str = 'visualizer', min_side: int = 480, **kwargs):
        super().__init__(name=name, **kwargs)
        self.min_side = min_side

    def render_sample(self, image: np.ndarray, data_sample, class_names: Sequence[str],
                      score_thr: float = DEFAULT_DISPLAY_THR, draw_gt: bool = True
                      ) -> np.ndarray:
        """:func:`render_data_sample` at this visualizer's ``min_side``."""
        return render_data_sample(image, data_sample, class_names, score_thr, draw_gt,
                                  min_side=self.min_side)

    def add_datasample(self, name: str, image: np.ndarray, data_sample=None,
                       draw_gt: bool = True, draw_pred: bool = True, show: bool = False,
                       wait_time: float = 0, out_file: Optional[str] = None,
                       pred_score_thr: float = DEFAULT_DISPLAY_THR, step: int = 0,
                       class_names: Optional[Sequence[str]] = None) -> np.ndarray:
        """mmengine's interface: draw (``render_sample``), then save to ``out_file`` or
        send to the vis backends under ``name`` at ``step``; returns the picture."""
        names = class_names or (self.dataset_meta or {}).get('classes') or ()
        drawn = self.render_sample(image, data_sample, names, pred_score_thr, draw_gt) \
            if draw_pred else image
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            from PIL import Image
            Image.fromarray(drawn).save(out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn

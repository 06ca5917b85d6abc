"""Data sample container passed between pipeline, model and metrics."""
from mmengine.structures import BaseDataElement, InstanceData


class DetDataSample(BaseDataElement):
    """One image's annotations and predictions.

    Fields (all :class:`~mmengine.structures.InstanceData`, boxes xyxy in pixels):

    * ``gt_instances``: ``bboxes`` [N, 4] (network-input pixels), ``labels`` [N],
      ``distance_m`` [N], ``distance_zone`` [N], ``urgency`` [N], ``*_derived`` flags [N].
    * ``ignored_instances``: ``bboxes`` [M, 4] of ``iscrowd=1`` regions.
    * ``pred_instances``: ``bboxes`` [K, 4] (original-image pixels), ``scores`` [K],
      ``labels`` [K], ``distance_m``, ``distance_zone``, ``urgency`` [K]; ``raw_scores`` [K]
      (before the hazard score exponent) and ``urgency_prob`` [K, 4] for calibration.

    Metainfo: ``img_id``, ``img_path``, ``ori_shape`` (h, w), ``img_shape``,
    ``scale_factor`` (w, h), ``flip``, ``lighting``, ``scene_urgency``, ``batch_input_shape``.
    """

    def _instances(name):  # noqa: N805 - property factory
        def getter(self) -> InstanceData:
            return getattr(self, f'_{name}')

        def setter(self, value: InstanceData) -> None:
            self.set_field(value, f'_{name}', dtype=InstanceData)

        def deleter(self) -> None:
            delattr(self, f'_{name}')

        return property(getter, setter, deleter)

    gt_instances = _instances('gt_instances')
    ignored_instances = _instances('ignored_instances')
    pred_instances = _instances('pred_instances')
    del _instances

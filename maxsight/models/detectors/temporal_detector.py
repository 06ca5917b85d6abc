"""T5: the detector on clips, with temporal attention and a temporal consistency loss."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from ...registry import MODELS
from ...structures import DetDataSample
from ..layers.temporal_module import temporal_consistency
from .maxsight_detector import MaxSightDetector


@MODELS.register_module()
class TemporalDetector(MaxSightDetector):
    """:class:`MaxSightDetector` over clips. Frames (clip-major, [B * T, C, H, W], from
    :class:`ClipDataPreprocessor`) go through the per-frame network, ``temporal`` mixes each
    location's features across the frames of its clip (padded frames masked), and the head
    predicts per frame; ``motion`` (optional, e.g. :class:`ClipMotionRefiner`) then refines
    each frame's urgency and distance from how the clip's predictions change over its
    frames. Padded frames get no detection loss and no predictions; consecutive valid
    frames pay ``loss_temporal_weight`` x :func:`temporal_consistency`.
    """

    def __init__(self, *args, temporal: dict, motion: Optional[dict] = None,
                 loss_temporal_weight: float = 0.5, **kwargs):
        super().__init__(*args, **kwargs)
        self.temporal = MODELS.build(temporal)
        self.motion = None if motion is None else MODELS.build(
            dict(motion, num_classes=self.bbox_head.num_classes))
        self.loss_temporal_weight = loss_temporal_weight

    def forward(self, inputs: Tensor, data_samples: Optional[Sequence[DetDataSample]] = None,
                mode: str = 'tensor', padding_mask: Optional[Tensor] = None
                ) -> Union[Dict[str, Tensor], List[DetDataSample]]:
        if padding_mask is None:
            padding_mask = torch.zeros(len(inputs), 1, dtype=torch.bool, device=inputs.device)
        intermediate, preds = self._head_predictions(inputs, data_samples, padding_mask)
        if self.motion is not None:
            preds = self.motion(preds, padding_mask)
        if mode == 'tensor':
            return preds
        valid = ~padding_mask.flatten()
        kept = [s for s, v in zip(data_samples, valid.tolist()) if v]
        frame_preds = {k: (v if k == 'points' else v[valid]) for k, v in preds.items()}
        if mode == 'loss':
            losses = self.bbox_head.loss_by_preds(frame_preds, kept)
            losses['loss_temporal'] = self.loss_temporal_weight * temporal_consistency(
                preds['cls'], preds['scene'], padding_mask)
            if self.aux_head is not None:
                losses.update(self.aux_losses(intermediate, kept, valid))
            return losses
        if mode == 'predict':
            return self.bbox_head.predict_by_preds(frame_preds, kept)
        raise ValueError(f"TemporalDetector.forward: mode must be 'loss', 'predict' or "
                         f"'tensor', got {mode!r}")

    def _head_predictions(self, inputs: Tensor, data_samples: Optional[Sequence[DetDataSample]],
                          padding_mask: Tensor) -> Tuple[Tensor, Dict[str, Tensor]]:
        """The per-frame network's intermediate features and the head's predictions over
        ``inputs`` [B * T, C, H, W] (``padding_mask`` [B, T]), before the motion refiner."""
        intermediate = self.intermediate_feat(inputs, data_samples)
        feats = self.temporal(self.refine_feat(intermediate, inputs, data_samples),
                              padding_mask)
        return intermediate, self.bbox_head(feats)

    def unrefined_predictions(self, inputs: Tensor,
                              data_samples: Optional[Sequence[DetDataSample]],
                              padding_mask: Tensor) -> Dict[str, Tensor]:
        """The head's predictions over ``inputs`` [B * T, C, H, W] (``padding_mask``
        [B, T]) as ``forward(mode='tensor')`` gives them, but before the motion refiner:
        what the refiner reads."""
        return self._head_predictions(inputs, data_samples, padding_mask)[1]

    @torch.no_grad()
    def motion_fit_data(self, inputs: Tensor, data_samples: Sequence[DetDataSample],
                        padding_mask: Tensor) -> Tuple[Tensor, ...]:
        """What :meth:`ClipMotionRefiner.fit` fits on, at the P predictions matched to the
        objects of the clips' real frames (as the loss matches them): the refiner's input
        features [P, 11 + C], the urgency logits [P, 4] and log distance [P] it refines,
        and the annotated urgency [P] (long) and log distance [P]. ``inputs`` [B * T, C, H,
        W], ``data_samples`` (B * T) and ``padding_mask`` [B, T] as the data preprocessor
        gives them."""
        if self.motion is None:
            raise ValueError('motion_fit_data: this model has no motion refiner '
                             '(model.motion)')
        refiner = self.motion
        preds = self.unrefined_predictions(inputs, data_samples, padding_mask)
        lines = refiner.track_lines(preds, padding_mask)
        features = refiner.motion_features(preds, padding_mask, lines)
        urgency, log_dist = refiner.base_predictions(preds, lines)
        valid = ~padding_mask.flatten()
        kept = [s for s, v in zip(data_samples, valid.tolist()) if v]
        frame_preds = {k: (v if k == 'points' else v[valid]) for k, v in preds.items()}
        t = self.bbox_head.get_targets(frame_preds, kept)
        bi, pi = t['pos_batch'], t['pos_index']
        return (features[valid][bi, pi], urgency[valid][bi, pi].float(),
                log_dist[valid][bi, pi].float(), t['gt_urgency'].long(),
                self.bbox_head.log_distance_target(t['gt_distance_m'].float()))

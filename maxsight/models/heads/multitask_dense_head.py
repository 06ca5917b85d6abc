"""Dense multi-task head: class, box, objectness, distance (zone + metres), urgency, scene
urgency; trained with Hungarian matching: one-to-one (no NMS needed at test time) or one-to-k
(``num_matches_per_gt``, the default 4, with class-wise NMS at test time)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.structures import InstanceData
from torch import Tensor, nn
from torchvision.ops import batched_nms, box_iou

from ...registry import MODELS, TASK_UTILS
from ...structures import DetDataSample
from ...value_checks import is_positive_int
from ..layers.condition_film import spatial_priority
from .beside_output import BesideOutput

NUM_ZONES = 3
NUM_URGENCY = 4


def urgency_decision(logits: Tensor, hazard_prob_thr: Optional[float] = None) -> Tensor:
    """Urgency levels [N] from logits [N, 4] (safe, caution, warning, danger).

    ``None``: the most likely level. ``p``: a hazard level (warning or danger, whichever is
    more likely) whenever P(warning) + P(danger) >= p, otherwise safe or caution.
    """
    if hazard_prob_thr is None:
        return logits.argmax(-1)
    prob = logits.float().softmax(-1)
    hazard = prob[:, 2:].sum(-1) >= hazard_prob_thr
    return torch.where(hazard, 2 + prob[:, 2:].argmax(-1), prob[:, :2].argmax(-1))


def anchor_points(shapes: Sequence[Tuple[int, int]], strides: Sequence[int],
                  device: Optional[torch.device] = None) -> Tuple[Tensor, Tensor]:
    """Cell centres [N, 2] (x, y pixels) of feature maps of ``shapes`` (h, w) at ``strides``,
    level after level, row-major, and each point's stride [N]."""
    pts, out_strides = [], []
    for (h, w), s in zip(shapes, strides):
        ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float32),
                                torch.arange(w, device=device, dtype=torch.float32),
                                indexing='ij')
        pts.append(torch.stack([(xs + 0.5) * s, (ys + 0.5) * s], -1).reshape(-1, 2))
        out_strides.append(torch.full((h * w,), float(s), device=device))
    return torch.cat(pts), torch.cat(out_strides)


#: test-time defaults, equal to configs/_base_/models/maxsight_t0.py's (a test checks)
DEFAULT_TEST_CFG = dict(score_thr=0.05, nms_pre=1000, nms_iou_thr=0.7, max_per_img=100,
                        hazard_prob_thr=0.1, obj_score_exponent=0.25,
                        hazard_score_exponent=0.85)


def _tower(in_ch: int, ch: int, depth: int) -> nn.Sequential:
    layers: List[nn.Module] = []
    for i in range(depth):
        layers += [nn.Conv2d(in_ch if i == 0 else ch, ch, 3, padding=1, bias=False),
                   nn.GroupNorm(min(8, ch), ch), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


@MODELS.register_module()
class MultiTaskDenseHead(nn.Module):
    """One prediction per feature-map location of every pyramid level.

    Per location (anchor point p = ((x + 0.5) * s, (y + 0.5) * s) at stride s):

    * ``cls``: C class logits (sigmoid), ``obj``: objectness logit trained towards the IoU of
      the matched box (IoU-aware quality), score = sigmoid(cls)^(1 - q) * sigmoid(obj)^q
      with q = ``test_cfg.obj_score_exponent``;
    * ``box``: distances (l, t, r, b) = exp(raw) * s from p, decoded to xyxy pixels;
    * ``zone``: 3 logits (near/medium/far), ``log_dist``: log of metres;
    * ``urgency``: 4 logits (safe..danger), from class and box features plus normalised
      (x, y) coordinates (urgency depends on where an object is in view);
    * per image, ``scene``: 4 scene-urgency logits from the coarsest features, pooled by
      their mean or by ``scene_pool``;
    * per image, with ``beside_out``, ``beside``: (no hazard, hazard) logits of each side
      (left, right) of a hazard beside the view, heard and not seen, read from the
      detached coarsest features by :class:`~maxsight.models.heads.beside_output.BesideOutput`.

    Args:
        num_classes: number of object classes (the runner fills it from the annotation
            file).
        in_channels: channels of every input level; feat_channels: tower width.
        stacked_convs: convs in each tower; strides: stride of each level.
        matcher: TASK_UTILS config (Hungarian matcher; with ``num_matches_per_gt`` > 1
            ``test_cfg.nms_iou_thr`` must be set to remove the duplicates it trains).
        loss_*: MODELS configs; each loss' ``loss_weight`` weighs it in the total.
        hazard_loss_weight: weight of the positives matched to hazards (urgency >= 2) in
            the classification and box losses (times the vision-condition priority); > 1
            trades accuracy on harmless objects for fewer missed hazards.
        hazard_matches_per_gt: predictions matched to each hazard (urgency >= 2) per step;
            None: the matcher's ``num_matches_per_gt``, as for every other object.
        scene_pool: config of the module (e.g. ``AttentionPool``, built with ``channels``
            = ``in_channels``) that pools the coarsest features [B, C, H, W] -> [B, C] for
            the scene output; None: their mean.
        beside_out: add the ``beside`` output (a model that hears: T4), fitted after
            training by ``AnswerRefitHook`` on images whose annotation has
            ``beside_hazards``, or trained alongside by ``loss_beside`` where one is given.
        beside_channels: hidden width of the ``beside`` output's MLP.
        test_cfg: merged over ``DEFAULT_TEST_CFG``, applied in this order: ``score_thr``
            (candidates scoring above it), ``nms_pre`` (the best candidates kept for NMS),
            ``nms_iou_thr`` (class-wise NMS; None: no NMS), hazard re-scoring (below),
            ``max_per_img`` (detections returned),
            ``hazard_prob_thr`` (None: urgency = argmax; p: urgency >= 2 whenever
            P(warning) + P(danger) >= p, the most likely of the two, else the most likely of
            safe / caution; p < 0.5 is a cost-sensitive rule that misses fewer hazards),
            ``obj_score_exponent`` q in [0, 1] (0.5: the geometric mean of class probability
            and predicted IoU; smaller trusts the class more, 0: class probability alone),
            ``hazard_score_exponent`` e in (0, 1] (a hazard's score is score^e; 1: off).

    Every default of the signature equals the base config's (configs/_base_/models/
    maxsight_t0.py), so a head built from a partial config behaves as the default one.
    """

    def __init__(self, num_classes: int, in_channels: int = 64, feat_channels: int = 64,
                 stacked_convs: int = 2, strides: Sequence[int] = (8, 16, 32),
                 matcher: dict = dict(type='HungarianMatcher', cost_class=2.0, cost_bbox=5.0,
                                      cost_giou=2.0, cost_outside=1.0, num_matches_per_gt=4),
                 loss_cls: dict = dict(type='FocalLoss', alpha=0.5, gamma=2.0,
                                       loss_weight=2.0),
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=5.0),
                 loss_giou: dict = dict(type='GIoULoss', loss_weight=2.0),
                 loss_obj: dict = dict(type='QualityFocalLoss', beta=2.0, loss_weight=1.0),
                 loss_zone: dict = dict(type='CrossEntropyLoss', loss_weight=0.5),
                 loss_distance: dict = dict(type='L1Loss', loss_weight=0.5),
                 loss_urgency: dict = dict(type='CrossEntropyLoss', loss_weight=0.5),
                 loss_scene: dict = dict(type='CrossEntropyLoss', loss_weight=0.2),
                 loss_beside: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, prior_prob: float = 0.01,
                 hazard_loss_weight: float = 3.0,
                 hazard_matches_per_gt: Optional[int] = None,
                 scene_pool: Optional[dict] = None, beside_out: bool = False,
                 beside_channels: int = 32):
        super().__init__()
        if not is_positive_int(num_classes):
            raise ValueError(f'MultiTaskDenseHead: num_classes must be a positive int, got '
                             f'{num_classes!r} (the runner fills it from the annotation '
                             'file when the config leaves it None)')
        self.num_classes = num_classes
        self.strides = tuple(strides)
        self.cls_tower = _tower(in_channels, feat_channels, stacked_convs)
        self.reg_tower = _tower(in_channels, feat_channels, stacked_convs)
        self.cls_out = nn.Conv2d(feat_channels, num_classes, 3, padding=1)
        self.box_out = nn.Conv2d(feat_channels, 4, 3, padding=1)
        self.obj_out = nn.Conv2d(feat_channels, 1, 3, padding=1)
        attr_in = 2 * feat_channels + 2
        self.attr_tower = nn.Sequential(nn.Conv2d(attr_in, feat_channels, 1), nn.ReLU(inplace=True))
        self.zone_out = nn.Conv2d(feat_channels, NUM_ZONES, 1)
        self.dist_out = nn.Conv2d(feat_channels, 1, 1)
        self.urgency_out = nn.Conv2d(feat_channels, NUM_URGENCY, 1)
        self.scene_out = nn.Linear(in_channels, NUM_URGENCY)
        self.scene_pool = (None if scene_pool is None
                           else MODELS.build(dict(scene_pool, channels=in_channels)))
        self.beside_out = BesideOutput(in_channels, beside_channels) if beside_out else None
        bias = -math.log((1 - prior_prob) / prior_prob)
        nn.init.constant_(self.cls_out.bias, bias)
        nn.init.constant_(self.obj_out.bias, bias)
        nn.init.normal_(self.box_out.weight, std=0.01)
        nn.init.constant_(self.box_out.bias, 0.0)
        nn.init.constant_(self.dist_out.bias, math.log(5.0))

        self.matcher = TASK_UTILS.build(matcher)
        self.loss_cls, self.loss_bbox = MODELS.build(loss_cls), MODELS.build(loss_bbox)
        self.loss_giou, self.loss_obj = MODELS.build(loss_giou), MODELS.build(loss_obj)
        self.loss_zone = MODELS.build(loss_zone)
        self.loss_distance = MODELS.build(loss_distance)
        self.loss_urgency = MODELS.build(loss_urgency)
        self.loss_scene = MODELS.build(loss_scene)
        self.loss_beside = (MODELS.build(loss_beside) if beside_out and loss_beside is not None
                            else None)
        self.test_cfg = dict(DEFAULT_TEST_CFG)
        self.test_cfg.update(test_cfg or {})
        hk = hazard_matches_per_gt
        if hk is not None and not is_positive_int(hk):
            raise ValueError(f'MultiTaskDenseHead: hazard_matches_per_gt must be an integer '
                             f'>= 1 or None, got {hk!r}')
        self.hazard_matches_per_gt = hk
        if max(getattr(self.matcher, 'num_matches_per_gt', 1), hk or 1) > 1 and \
                self.test_cfg['nms_iou_thr'] is None:
            raise ValueError('MultiTaskDenseHead: the matcher assigns several predictions to '
                             'an object (num_matches_per_gt or hazard_matches_per_gt > 1), so set '
                             'test_cfg.nms_iou_thr (e.g. 0.6) to remove the duplicates')
        thr = self.test_cfg['hazard_prob_thr']
        if thr is not None and not 0.0 < float(thr) < 1.0:
            raise ValueError(f'MultiTaskDenseHead: test_cfg.hazard_prob_thr must be in (0, 1) '
                             f'or None, got {thr!r}')
        q = self.test_cfg['obj_score_exponent']
        if not isinstance(q, (int, float)) or not 0.0 <= float(q) <= 1.0:
            raise ValueError(f'MultiTaskDenseHead: test_cfg.obj_score_exponent must be in '
                             f'[0, 1], got {q!r}')
        e = self.test_cfg['hazard_score_exponent']
        if not isinstance(e, (int, float)) or not 0.0 < float(e) <= 1.0:
            raise ValueError(f'MultiTaskDenseHead: test_cfg.hazard_score_exponent must be in '
                             f'(0, 1] (1 = off), got {e!r}')
        if not hazard_loss_weight > 0:
            raise ValueError(f'MultiTaskDenseHead: hazard_loss_weight must be > 0, got '
                             f'{hazard_loss_weight!r}')
        self.hazard_loss_weight = float(hazard_loss_weight)
        self._point_cache: Dict[Tuple, Tuple[Tensor, Tensor]] = {}

    # ------------------------------------------------------------------ forward
    def anchor_points(self, shapes: Sequence[Tuple[int, int]], device: torch.device
                      ) -> Tuple[Tensor, Tensor]:
        """:func:`anchor_points` of this head's strides, cached per shapes and device."""
        key = (tuple(shapes), str(device))
        if key not in self._point_cache:
            self._point_cache[key] = anchor_points(shapes, self.strides, device)
        return self._point_cache[key]

    def attribute_features(self, cls_feat: Tensor, reg_feat: Tensor, coords: Tensor) -> Tensor:
        """Features [B, C, H, W] the distance and urgency outputs read, from the class and
        box tower features and normalised (x, y) coordinates [B, 2, H, W]."""
        return self.attr_tower(torch.cat([cls_feat, reg_feat, coords], 1))

    def forward(self, feats: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Flattened predictions over all levels: ``cls`` [B, N, C], ``box`` [B, N, 4] xyxy
        pixels (of the padded network input), ``obj`` [B, N], ``zone`` [B, N, 3],
        ``log_dist`` [B, N], ``urgency`` [B, N, 4], ``scene`` [B, 4], ``points`` [N, 2]; with
        ``beside_out``, ``beside`` [B, 2 sides (left, right), 2 (no hazard, hazard)]."""
        if len(feats) != len(self.strides):
            raise ValueError(f'MultiTaskDenseHead got {len(feats)} levels but strides '
                             f'{self.strides}')
        outs: Dict[str, List[Tensor]] = {k: [] for k in
                                         ('cls', 'box', 'obj', 'zone', 'log_dist', 'urgency')}
        for f in feats:
            b, _, h, w = f.shape
            cls_feat, reg_feat = self.cls_tower(f), self.reg_tower(f)
            ys = torch.linspace(-1, 1, h, device=f.device, dtype=f.dtype)
            xs = torch.linspace(-1, 1, w, device=f.device, dtype=f.dtype)
            coords = torch.stack(torch.meshgrid(xs, ys, indexing='xy'), 0).expand(b, 2, h, w)
            attr = self.attribute_features(cls_feat, reg_feat, coords)
            for key, t in (('cls', self.cls_out(cls_feat)), ('box', self.box_out(reg_feat)),
                           ('obj', self.obj_out(reg_feat)), ('zone', self.zone_out(attr)),
                           ('log_dist', self.dist_out(attr)), ('urgency', self.urgency_out(attr))):
                outs[key].append(t.flatten(2).transpose(1, 2))
        preds = {k: torch.cat(v, 1) for k, v in outs.items()}
        preds['obj'] = preds['obj'].squeeze(-1)
        preds['log_dist'] = preds['log_dist'].squeeze(-1)
        points, strides = self.anchor_points([f.shape[-2:] for f in feats], feats[0].device)
        ltrb = preds['box'].float().clamp(max=8.0).exp() * strides[None, :, None]
        preds['box'] = torch.cat([points - ltrb[..., :2], points + ltrb[..., 2:]], -1)
        coarsest = feats[-1]
        pooled = (coarsest.mean(dim=(2, 3)) if self.scene_pool is None
                  else self.scene_pool(coarsest))
        preds['scene'] = self.scene_out(pooled)
        if self.beside_out is not None:
            preds['beside'] = self.beside_out(coarsest)
        preds['points'] = points
        return preds

    # --------------------------------------------------------------------- loss
    def loss(self, feats: Sequence[Tensor], data_samples: Sequence[DetDataSample]
             ) -> Dict[str, Tensor]:
        """Losses of the predictions on ``feats`` against ``data_samples``."""
        return self.loss_by_preds(self(feats), data_samples)

    def get_targets(self, preds: Dict[str, Tensor], data_samples: Sequence[DetDataSample]
                    ) -> Dict[str, Tensor]:
        """Target assignment, as mmdetection's ``get_targets``: each image's ground truth
        is matched to predictions, points inside ignore regions are left out, and the
        positives are weighed.

        Returns ``cls_target`` [B, N, C] (1 at the matched class of each positive),
        ``valid`` [B, N] bool (False: inside an ignore region and not matched),
        ``pos_batch`` / ``pos_index`` [P] (image and prediction of the P positives), their
        ground truth ``gt_bboxes`` [P, 4] xyxy pixels, ``gt_labels``, ``gt_distance_m``,
        ``gt_distance_zone``, ``gt_urgency`` [P], ``norm`` [P, 4] (w, h, w, h of the image),
        ``pos_weight`` [P] (vision-condition priority x hazard weight), ``cls_weight``
        [B, N] (``pos_weight`` at the positives, 1 elsewhere) and ``num_pos`` (the
        positive count averaged over processes, at least 1)."""
        cls, boxes, points = preds['cls'], preds['box'], preds['points']
        bsz, num_pts, _ = cls.shape
        cls_target = torch.zeros_like(cls)
        valid = torch.ones(bsz, num_pts, dtype=torch.bool, device=cls.device)
        batch_idx, pred_idx = [], []
        gt_fields: Dict[str, List[Tensor]] = {k: [] for k in
                                              ('bboxes', 'labels', 'distance_m',
                                               'distance_zone', 'urgency', 'norm',
                                               'priority')}
        for b, sample in enumerate(data_samples):
            gt = sample.gt_instances
            h, w = sample.metainfo['img_shape']
            per_gt = None
            if self.hazard_matches_per_gt is not None:
                per_gt = torch.where(gt.urgency >= 2, self.hazard_matches_per_gt,
                                     getattr(self.matcher, 'num_matches_per_gt', 1))
            p_idx, g_idx = self.matcher.match(cls[b].detach(), boxes[b].detach(),
                                              gt.labels, gt.bboxes, (h, w), points,
                                              matches_per_gt=per_gt)
            ignored = sample.get('ignored_instances')
            if ignored is not None and len(ignored) > 0:
                ib = ignored.bboxes.to(points.device)
                inside = ((points[:, None, 0] >= ib[:, 0]) & (points[:, None, 0] <= ib[:, 2]) &
                          (points[:, None, 1] >= ib[:, 1]) & (points[:, None, 1] <= ib[:, 3]))
                valid[b] = ~inside.any(1)
            valid[b, p_idx] = True
            cls_target[b, p_idx, gt.labels[g_idx]] = 1.0
            batch_idx.append(torch.full_like(p_idx, b))
            pred_idx.append(p_idx)
            for key in ('bboxes', 'labels', 'distance_m', 'distance_zone', 'urgency'):
                gt_fields[key].append(gt[key][g_idx].to(cls.device))
            gt_fields['norm'].append(boxes.new_tensor([w, h, w, h]).expand(len(g_idx), 4))
            centre = (gt.bboxes[g_idx, :2] + gt.bboxes[g_idx, 2:]).to(cls.device) / 2
            gt_fields['priority'].append(spatial_priority(
                sample.metainfo.get('condition'), centre[:, 0] / w, centre[:, 1] / h))
        bi, pi = torch.cat(batch_idx), torch.cat(pred_idx)
        gts = {k: torch.cat(v) for k, v in gt_fields.items()}
        num_pos = float(len(pi))
        if get_world_size() > 1:  # average the normaliser over processes, as mmdet does
            t = cls.new_tensor(num_pos)
            all_reduce(t, op='mean')
            num_pos = float(t)
        # weight of each positive: vision-condition priority (1 if none) x hazard weight
        prio = torch.where(gts['urgency'] >= 2, gts['priority'] * self.hazard_loss_weight,
                           gts['priority'])
        cls_weight = torch.ones_like(preds['obj'])
        cls_weight[bi, pi] = prio
        return dict(cls_target=cls_target, valid=valid, pos_batch=bi, pos_index=pi,
                    gt_bboxes=gts['bboxes'], gt_labels=gts['labels'],
                    gt_distance_m=gts['distance_m'], gt_distance_zone=gts['distance_zone'],
                    gt_urgency=gts['urgency'], norm=gts['norm'], pos_weight=prio,
                    cls_weight=cls_weight, num_pos=max(num_pos, 1.0))

    @staticmethod
    def log_distance_target(distance_m: Tensor) -> Tensor:
        """What ``log_dist`` learns to predict for annotated distances (metres): their log,
        from 0.1 m (a closer annotation is taken as 0.1 m)."""
        return distance_m.clamp(min=0.1).log()

    def loss_by_preds(self, preds: Dict[str, Tensor], data_samples: Sequence[DetDataSample]
                      ) -> Dict[str, Tensor]:
        """Every loss of already computed head outputs against :meth:`get_targets`."""
        t = self.get_targets(preds, data_samples)
        cls, valid, num_pos = preds['cls'], t['valid'], t['num_pos']
        bi, pi, prio = t['pos_batch'], t['pos_index'], t['pos_weight']
        pos_boxes = preds['box'][bi, pi]
        losses = dict(
            loss_cls=self.loss_cls(cls[valid], t['cls_target'][valid],
                                   weight=t['cls_weight'][valid][:, None], avg_factor=num_pos),
            loss_bbox=self.loss_bbox(pos_boxes / t['norm'], t['gt_bboxes'] / t['norm'],
                                     weight=prio[:, None], avg_factor=num_pos),
            loss_giou=self.loss_giou(pos_boxes, t['gt_bboxes'], weight=prio,
                                     avg_factor=num_pos))
        obj_target = torch.zeros_like(preds['obj'])
        if len(pi):
            ious = box_iou(pos_boxes.detach().float(), t['gt_bboxes'].float()).diagonal()
            obj_target[bi, pi] = ious.clamp(min=0.0).to(obj_target.dtype)
        losses['loss_obj'] = self.loss_obj(preds['obj'][valid], obj_target[valid],
                                           avg_factor=num_pos)
        losses['loss_zone'] = self.loss_zone(preds['zone'][bi, pi], t['gt_distance_zone'])
        losses['loss_distance'] = self.loss_distance(
            preds['log_dist'][bi, pi], self.log_distance_target(t['gt_distance_m']))
        losses['loss_urgency'] = self.loss_urgency(preds['urgency'][bi, pi], t['gt_urgency'])
        scene_target = torch.as_tensor(
            [s.metainfo.get('scene_urgency', int(s.gt_instances.urgency.max())
                            if len(s.gt_instances) else 0) for s in data_samples],
            device=cls.device)
        losses['loss_scene'] = self.loss_scene(preds['scene'], scene_target)
        if self.loss_beside is not None:
            losses['loss_beside'] = self._beside_loss(preds['beside'], data_samples)
        return losses

    @staticmethod
    def beside_labels(data_samples: Sequence[DetDataSample], device: torch.device
                      ) -> Tuple[List[int], Tensor]:
        """The indices of the images annotated with ``beside_hazards`` and their labels
        [n, 2] (long; metainfo ``beside_hazard``: (left, right) 0/1)."""
        labelled = [b for b, s in enumerate(data_samples)
                    if s.metainfo.get('beside_hazard') is not None]
        flags = [np.asarray(data_samples[b].metainfo['beside_hazard']) for b in labelled]
        target = torch.as_tensor(np.stack(flags) if flags else np.zeros((0, 2)), device=device)
        return labelled, target.long()

    def _beside_loss(self, beside: Tensor, data_samples: Sequence[DetDataSample]) -> Tensor:
        """``loss_beside`` of ``beside`` [B, 2, 2] over the images annotated with
        ``beside_hazards``; 0 (kept in the graph) when none is."""
        labelled, target = self.beside_labels(data_samples, beside.device)
        if not labelled:
            return beside.sum() * 0.0
        return self.loss_beside(beside[labelled].flatten(0, 1), target.flatten())

    @torch.no_grad()
    def beside_fit_data(self, feats: Sequence[Tensor], data_samples: Sequence[DetDataSample]
                        ) -> Tuple[Tensor, Tensor]:
        """What :meth:`BesideOutput.fit` fits on: the ``beside`` output's features [n, 2, C]
        and labels [n, 2] of the n images of ``data_samples`` annotated with
        ``beside_hazards``."""
        labelled, target = self.beside_labels(data_samples, feats[-1].device)
        return BesideOutput.features(feats[-1])[labelled], target

    # ------------------------------------------------------------------ predict
    @torch.no_grad()
    def predict(self, feats: Sequence[Tensor], data_samples: Sequence[DetDataSample]
                ) -> List[DetDataSample]:
        """At most ``max_per_img`` detections per image, boxes xyxy in original-image
        pixels (post-processing order: ``test_cfg`` in the class docstring)."""
        return self.predict_by_preds(self(feats), data_samples)

    def _raise_hazard_scores(self, result: InstanceData) -> InstanceData:
        """Scores of detections reported as hazards (urgency >= 2) raised to
        ``test_cfg.hazard_score_exponent`` (<= 1, so they rise), then all re-sorted by score:
        a hazard is shown to the user at a lower confidence than a harmless object."""
        e = float(self.test_cfg['hazard_score_exponent'])
        if e == 1.0 or len(result) == 0:
            return result
        hazard = result.urgency >= 2
        result.scores = torch.where(hazard, result.scores.pow(e), result.scores)
        return result[result.scores.argsort(descending=True, stable=True)]

    @torch.no_grad()
    def predict_by_preds(self, preds: Dict[str, Tensor],
                         data_samples: Sequence[DetDataSample]) -> List[DetDataSample]:
        """Post-process already computed head outputs into ``pred_instances``."""
        cfg = self.test_cfg
        q = float(cfg['obj_score_exponent'])
        scores_all = (preds['cls'].float().sigmoid().pow(1.0 - q) *
                      preds['obj'].float().sigmoid()[..., None].pow(q))
        for b, sample in enumerate(data_samples):
            # mmdetection's order: score threshold, the nms_pre best, class-wise NMS, then
            # max_per_img (a cut before NMS would fill it with one object's near-copies)
            scores = scores_all[b].flatten()
            cand = (scores > cfg['score_thr']).nonzero().squeeze(1)
            top_scores, order = scores[cand].topk(min(int(cfg['nms_pre']), cand.numel()))
            top_idx = cand[order]
            loc, labels = top_idx // self.num_classes, top_idx % self.num_classes
            boxes = preds['box'][b, loc].float()
            if cfg.get('nms_iou_thr') is not None:
                kept = batched_nms(boxes, top_scores, labels, float(cfg['nms_iou_thr']))
                loc, labels, boxes, top_scores = loc[kept], labels[kept], boxes[kept], \
                    top_scores[kept]
            sx, sy = sample.metainfo.get('scale_factor', (1.0, 1.0))
            boxes = boxes / boxes.new_tensor([sx, sy, sx, sy])
            oh, ow = sample.metainfo.get('ori_shape', sample.metainfo['img_shape'])
            boxes[:, 0::2] = boxes[:, 0::2].clamp(0, ow)
            boxes[:, 1::2] = boxes[:, 1::2].clamp(0, oh)
            result = InstanceData()
            result.bboxes = boxes
            result.scores = top_scores
            result.labels = labels
            result.distance_zone = preds['zone'][b, loc].argmax(-1)
            result.distance_m = preds['log_dist'][b, loc].float().exp()
            result.urgency = urgency_decision(preds['urgency'][b, loc],
                                              cfg.get('hazard_prob_thr'))
            # what operating-point calibration re-decides from (evaluation/calibration.py)
            result.raw_scores = top_scores.clone()
            result.urgency_prob = preds['urgency'][b, loc].float().softmax(-1)
            result = self._raise_hazard_scores(result)
            sample.pred_instances = result[:int(cfg['max_per_img'])]
            sample.set_field(int(preds['scene'][b].argmax()), 'pred_scene_urgency',
                             field_type='metainfo')
            if 'beside' in preds:  # P(hazard) beside the view, (left, right)
                sample.set_field(preds['beside'][b].float().softmax(-1)[:, 1].tolist(),
                                 'pred_beside_hazard', field_type='metainfo')
        return list(data_samples)

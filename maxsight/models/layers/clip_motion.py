"""T5: urgency and distance refined from how a clip's own per-frame predictions change."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ...registry import MODELS
from ...value_checks import is_positive_int
from ..heads.full_batch_fit import fit_full_batch


def masked_slope(values: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
    """Least-squares line through each series over its valid frames.

    ``values`` [B, T, N] (one series per clip and location), ``valid`` [B, T, N] bool.
    Returns the slope [B, N] (change per frame; 0 with fewer than two valid frames) and
    each frame's residual from the line [B, T, N] (value minus fit; 0 where not valid).
    """
    t = torch.arange(values.shape[1], device=values.device, dtype=values.dtype)[None, :, None]
    w = valid.to(values.dtype)
    count = w.sum(1, keepdim=True).clamp(min=1.0)  # [B, 1, N]
    t_mean = (w * t).sum(1, keepdim=True) / count
    v_mean = (w * values).sum(1, keepdim=True) / count
    dt = (t - t_mean) * w  # [B, T, N]
    var = (dt ** 2).sum(1)  # [B, N]
    slope = (dt * (values - v_mean)).sum(1) / var.clamp(min=1e-6)
    slope = torch.where(var > 1e-6, slope, torch.zeros_like(slope))
    fit = v_mean + slope[:, None] * (t - t_mean)
    return slope, (values - fit) * w


def pairwise_iou(a: Tensor, b: Tensor) -> Tensor:
    """IoU [..., N, K] of xyxy boxes ``a`` [..., N, 4] and ``b`` [..., K, 4] (batched
    :func:`torchvision.ops.box_iou`)."""
    lt = torch.maximum(a[..., :, None, :2], b[..., None, :, :2])
    rb = torch.minimum(a[..., :, None, 2:], b[..., None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    return inter / (area_a[..., :, None] + area_b[..., None, :] - inter).clamp(min=1e-6)


@MODELS.register_module()
class ClipMotionRefiner(nn.Module):
    """Refines every frame's urgency logits and log distance from the motion of its object
    over the clip.

    An object closing at v m/s from d m has d(log d)/dt = -v / d = -1 / time to contact,
    and its box height grows at the same relative rate, which one frame cannot show. So
    each prediction is followed through the clip's frames (:meth:`track`: in each frame,
    the score-weighted mean over that frame's best-scoring predictions that overlap it),
    and lines are fitted through the log box heights and log distances along that track. Per
    frame and location an MLP reads (all detached, so the refiner does not bend the
    detector): the two slopes and this frame's residuals from the two lines
    (x ``slope_scale``), the share of the clip's frames the track was found in, the frame's
    log distance, horizontal position x / W in [0, 1], urgency probabilities [4] and class
    probabilities [C]. Its output is added to the urgency logits [4] and the log distance
    [1]; the last layer starts at zero, so an untrained refiner leaves the predictions as
    they are (a model transferred from T4 starts where T4 ended).

    Args:
        num_classes: the head's classes (the detector fills it).
        hidden: MLP width. slope_scale: multiplies the slopes and residuals (per-frame
            changes of logs) so that a 10 % change per frame is an input of about 1.
        candidates: predictions per frame a track may continue to (the best-scoring).
        iou_thr: least IoU with which a track continues into another frame.
        fit_distance: first move each frame's log distance onto the line fitted along its
            track (where the track is found in two frames or more), averaging away the
            frame-to-frame noise of the per-frame estimates.
    """

    def __init__(self, num_classes: int, hidden: int = 64, slope_scale: float = 10.0,
                 candidates: int = 20, iou_thr: float = 0.5, fit_distance: bool = False):
        super().__init__()
        if not is_positive_int(candidates):
            raise ValueError(f'ClipMotionRefiner: candidates must be an integer >= 1, got '
                             f'{candidates!r}')
        if not 0.0 < float(iou_thr) <= 1.0:
            raise ValueError(f'ClipMotionRefiner: iou_thr must be in (0, 1], got {iou_thr!r}')
        self.slope_scale = float(slope_scale)
        self.candidates = candidates
        self.iou_thr = float(iou_thr)
        self.fit_distance = bool(fit_distance)
        in_ch = 7 + 4 + num_classes
        self.mlp = nn.Sequential(nn.Linear(in_ch, hidden), nn.ReLU(inplace=True),
                                 nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
                                 nn.Linear(hidden, 5))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def track(self, boxes: Tensor, scores: Tensor, valid: Tensor, series: Sequence[Tensor]
              ) -> Tuple[List[Tensor], Tensor]:
        """Follows each prediction through the frames of its clip.

        ``boxes`` [B, T, N, 4] xyxy, ``scores`` [B, T, N], ``valid`` [B, T] bool (False: a
        padded frame), ``series``: values [B, T, N] to follow (e.g. log box heights).
        In frame t' the track of prediction (t, n) is the score-weighted mean, over t''s
        ``candidates`` best-scoring predictions whose box overlaps box [t, n] with IoU >=
        ``iou_thr``, of each value (t' = t included: the frame's own estimate, averaged
        over its duplicates). Returns each series along the tracks [B, T(t), T(t'), N]
        and ``found`` [B, T, T, N] bool (some candidate overlaps; both frames valid).
        """
        b, t, n, _ = boxes.shape
        k = min(self.candidates, n)
        top_score, top = scores.topk(k, dim=-1)  # [B, T, K]
        cand = boxes.gather(2, top[..., None].expand(b, t, k, 4))  # [B, T, K, 4]
        cand_values = [v.gather(2, top) for v in series]  # each [B, T, K]
        weight_valid = top_score * valid[..., None].to(top_score.dtype)
        tracked: List[List[Tensor]] = [[] for _ in series]
        found = []
        for ref in range(t):
            iou = pairwise_iou(boxes[:, ref, None], cand)  # [B, T, N, K]
            w = weight_valid[:, :, None] * (iou >= self.iou_thr).to(iou.dtype)
            total = w.sum(-1)  # [B, T, N]
            for out, values in zip(tracked, cand_values):
                out.append((w * values[:, :, None]).sum(-1) / total.clamp(min=1e-12))
            found.append((total > 0) & valid[:, ref, None, None])
        return [torch.stack(v, 1) for v in tracked], torch.stack(found, 1)

    def track_lines(self, preds: Dict[str, Tensor], padding_mask: Tensor) -> Dict[str, Tensor]:
        """Lines through log box height (``h``) and log distance (``d``) along each
        prediction's track, from the head's ``preds`` over B * T frames (see
        :meth:`motion_features`). Returns, each [B, T, N] (per frame and prediction):
        ``slope_h``, ``slope_d`` (per frame), ``resid_h``, ``resid_d`` (this frame's
        tracked value minus the line), ``fit_d`` (the line's log distance at this frame),
        ``found`` (share of the clip's frames the track is found in) and ``fitted`` (bool:
        the track is found in this frame and one more, so ``fit_d`` is a line's value)."""
        b, t = padding_mask.shape
        box = preds['box'].detach().float()
        n = box.shape[1]
        log_h = (box[..., 3] - box[..., 1]).clamp(min=1.0).log().reshape(b, t, n)
        log_d = preds['log_dist'].detach().float().reshape(b, t, n)
        score = preds['cls'].detach().float().sigmoid().amax(-1).reshape(b, t, n)
        tracked, found = self.track(box.reshape(b, t, n, 4), score, ~padding_mask,
                                    (log_h, log_d))
        frames = torch.arange(t, device=box.device)
        out = {}
        for name, values in zip('hd', tracked):  # [B, T(ref), T, N]
            slope, resid = masked_slope(values.flatten(0, 1), found.flatten(0, 1))
            out[f'slope_{name}'] = slope.reshape(b, t, n)
            out[f'resid_{name}'] = resid.reshape(b, t, t, n)[:, frames, frames]
        out['fit_d'] = tracked[1][:, frames, frames] - out['resid_d']
        out['fitted'] = found[:, frames, frames] & (found.sum(2) >= 2)
        out['found'] = found.float().mean(2)
        return out

    def motion_features(self, preds: Dict[str, Tensor], padding_mask: Tensor,
                        lines: Optional[Dict[str, Tensor]] = None) -> Tensor:
        """The MLP's input [B * T, N, 11 + C] from the head's ``preds`` over B * T frames
        (clip-major: ``box`` [B * T, N, 4] xyxy pixels, ``log_dist`` [B * T, N],
        ``urgency`` [B * T, N, 4], ``cls`` [B * T, N, C], ``points`` [N, 2]) and
        ``padding_mask`` [B, T] (True: a padded frame); ``lines``: :meth:`track_lines`'
        result when already computed."""
        b, t = padding_mask.shape
        lines = self.track_lines(preds, padding_mask) if lines is None else lines
        n = lines['found'].shape[-1]
        log_d = preds['log_dist'].detach().float().reshape(b, t, n)
        scalars = [self.slope_scale * lines[key]
                   for key in ('slope_h', 'resid_h', 'slope_d', 'resid_d')]
        points = preds['points'][:, 0].float()
        # level-0 centres run from s/2 to W - s/2, so their extremes sum to the width W
        x_rel = (points / (points.max() + points.min()))[None, None].expand(b, t, n)
        scalars += [lines['found'], log_d, x_rel]
        return torch.cat([torch.stack(scalars, -1).reshape(b * t, n, 7),
                          preds['urgency'].detach().float().softmax(-1),
                          preds['cls'].detach().float().sigmoid()], -1)

    def base_predictions(self, preds: Dict[str, Tensor], lines: Dict[str, Tensor]
                         ) -> Tuple[Tensor, Tensor]:
        """What the MLP's output is added to: the urgency logits [B * T, N, 4] and the log
        distance [B * T, N] (moved onto its track's line with ``fit_distance``); ``lines``:
        :meth:`track_lines`' result."""
        log_dist = preds['log_dist']
        if self.fit_distance:
            # the line's value, with the gradient of the frame's own estimate
            own = log_dist.detach().float().reshape(lines['fit_d'].shape)
            shift = torch.where(lines['fitted'], lines['fit_d'] - own, torch.zeros_like(own))
            log_dist = log_dist + shift.reshape(log_dist.shape).to(log_dist.dtype)
        return preds['urgency'], log_dist

    def forward(self, preds: Dict[str, Tensor], padding_mask: Tensor) -> Dict[str, Tensor]:
        """``preds`` with ``urgency`` and ``log_dist`` refined (other keys unchanged)."""
        lines = self.track_lines(preds, padding_mask)
        delta = self.mlp(self.motion_features(preds, padding_mask, lines))
        urgency, log_dist = self.base_predictions(preds, lines)
        out = dict(preds)
        out['urgency'] = urgency + delta[..., :4].to(urgency.dtype)
        out['log_dist'] = log_dist + delta[..., 4].to(log_dist.dtype)
        return out

    def fit(self, features: Tensor, urgency: Tensor, log_dist: Tensor, gt_urgency: Tensor,
            gt_log_dist: Tensor, loss_urgency: nn.Module, loss_distance: nn.Module,
            steps: int = 2000, lr: float = 1e-3) -> Dict[str, float]:
        """Fit the MLP, in place, on P matched predictions of a finished model: its
        ``features`` [P, 11 + C] (:meth:`motion_features`) and the ``urgency`` logits
        [P, 4] and ``log_dist`` [P] it refines (:meth:`base_predictions`), against the
        annotated ``gt_urgency`` [P] (long) and ``gt_log_dist`` [P] (log metres). The
        objective is the head's own: ``loss_urgency`` + ``loss_distance`` of the refined
        outputs; ``steps`` full-batch Adam steps from the current weights (deterministic).
        Returns the urgency accuracy and the distance error (mean |d - d_gt|, metres) on
        the P before and after (``acc_before``, ``acc_after``, ``mae_before``,
        ``mae_after``) and the final ``loss``."""
        if not len(gt_urgency):
            raise ValueError('ClipMotionRefiner.fit: no matched predictions to fit on (the '
                             'clips have no annotated objects)')
        features, urgency, log_dist = features.float(), urgency.float(), log_dist.float()
        gt_log_dist = gt_log_dist.float()

        def refined() -> Tuple[Tensor, Tensor]:
            delta = self.mlp(features)
            return urgency + delta[:, :4], log_dist + delta[:, 4]

        def scores() -> Dict[str, float]:
            with torch.no_grad():
                logits, dist = refined()
                return dict(acc=float((logits.argmax(1) == gt_urgency).float().mean()),
                            mae=float((dist.exp() - gt_log_dist.exp()).abs().mean()))

        def loss() -> Tensor:
            logits, dist = refined()
            return loss_urgency(logits, gt_urgency) + loss_distance(dist, gt_log_dist)

        before = scores()
        final = fit_full_batch(self.mlp.parameters(), loss, steps, lr, 'ClipMotionRefiner.fit')
        after = scores()
        return dict(acc_before=before['acc'], acc_after=after['acc'],
                    mae_before=before['mae'], mae_after=after['mae'], loss=final)

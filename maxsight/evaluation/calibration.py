"""Operating-point calibration: the hazard decision threshold, the hazard score exponent
and the display threshold that meet a hazard-recall target on the user's own validation
split with the fewest false hazard alerts per image
(docs/evaluation.md#operating-point-toolscalibratepy-operatingpointhook).

The three values act after the model (DESIGN section 7): a detection is reported as a
hazard when P(warning) + P(danger) >= ``hazard_prob_thr``; a hazard's score is raised to
``hazard_score_exponent`` (<= 1, so hazards are shown at a lower confidence); detections
whose score is below the display threshold ``score_thr`` are not shown. A sweep scores
every combination exactly as :class:`~maxsight.evaluation.metrics.AssistiveMetric` would
(greedy one-to-one matching by descending shown score, same class, IoU >= 0.5):

* hazard recall: ground-truth hazards (urgency >= 2) matched by a shown detection reported
  as a hazard, over all ground-truth hazards;
* false alerts per image: shown detections reported as hazards that are not matched to a
  ground-truth hazard, over images;
* false-safe rate: ground-truth hazards matched by a shown detection reported safe.

Shown detections are a prefix of the score order, and greedy matching of a prefix is the
start of the greedy matching of the whole list, so one matching per (threshold, exponent)
gives every display threshold.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torchvision.ops import box_iou

from .confidence import wilson_interval

#: The sweep's default grids.
HAZARD_THRESHOLDS = (0.01, 0.02, 0.03, 0.04) + tuple(round(0.05 * i, 2) for i in range(1, 19))
SCORE_EXPONENTS = (1.0, 0.85, 0.7, 0.55, 0.4)
DISPLAY_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
#: The keys of an operating point that act on the model / the display.
OPERATING_KEYS = ('hazard_prob_thr', 'hazard_score_exponent', 'score_thr')


@dataclass
class CalibrationImage:
    """One image's detections and ground truth, boxes xyxy in original pixels.

    ``scores`` [D] are before the hazard exponent, ``urgency_prob`` [D, 4] the softmax over
    (safe, caution, warning, danger); ``gt_hazard`` [G] marks ground truth urgency >= 2."""
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    urgency_prob: np.ndarray
    gt_boxes: np.ndarray
    gt_labels: np.ndarray
    gt_hazard: np.ndarray

    @property
    def hazard_prob(self) -> np.ndarray:
        return self.urgency_prob[:, 2:].sum(1)


def image_from_sample(sample) -> CalibrationImage:
    """A :class:`CalibrationImage` from a predicted data sample (``pred_instances`` with
    ``raw_scores`` and ``urgency_prob``, ``gt_instances`` in model-input pixels)."""
    pred, gt = sample.pred_instances, sample.gt_instances
    if 'raw_scores' not in pred or 'urgency_prob' not in pred:
        raise ValueError('calibration needs pred_instances.raw_scores and .urgency_prob '
                         '(MultiTaskDenseHead writes them): this head does not')
    sx, sy = sample.metainfo.get('scale_factor', (1.0, 1.0))
    scale = torch.tensor([sx, sy, sx, sy])
    return CalibrationImage(
        boxes=pred.bboxes.detach().cpu().float().numpy(),
        scores=pred.raw_scores.detach().cpu().float().numpy().astype(np.float32),
        labels=pred.labels.detach().cpu().numpy(),
        urgency_prob=pred.urgency_prob.detach().cpu().float().numpy(),
        gt_boxes=(gt.bboxes.detach().cpu().float() / scale).numpy(),
        gt_labels=gt.labels.detach().cpu().numpy(),
        gt_hazard=(gt.urgency.detach().cpu() >= 2).numpy())


def _greedy(order: np.ndarray, ious: np.ndarray, iou_thr: float) -> np.ndarray:
    """For detections taken in ``order``, the ground-truth index each one matches (-1:
    none), one-to-one, best IoU first; ``ious`` [D, G] is -1 across classes."""
    match = np.full(len(order), -1, np.int64)
    if ious.shape[1] == 0:
        return match
    taken = np.zeros(ious.shape[1], bool)
    for k, p in enumerate(order):
        cand = np.where(taken, -1.0, ious[p])
        g = int(cand.argmax())
        if cand[g] >= iou_thr:
            taken[g] = True
            match[k] = g
    return match


def sweep(images: Sequence[CalibrationImage],
          hazard_thresholds: Sequence[float] = HAZARD_THRESHOLDS,
          exponents: Sequence[float] = SCORE_EXPONENTS,
          display_thresholds: Sequence[float] = DISPLAY_THRESHOLDS,
          iou_thr: float = 0.5) -> List[Dict[str, float]]:
    """Hazard recall, false alerts per image and false-safe rate of every combination."""
    disp = np.asarray(sorted(display_thresholds), np.float32)
    nd = len(disp)
    shape = (len(hazard_thresholds), len(exponents), nd)
    found, alerts, unsafe = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    hazards = sum(int(im.gt_hazard.sum()) for im in images)
    for im in images:
        ious = box_iou(torch.as_tensor(im.boxes), torch.as_tensor(im.gt_boxes)).numpy() \
            if len(im.boxes) and len(im.gt_boxes) else np.zeros((len(im.boxes), 0))
        if ious.size:
            ious[im.labels[:, None] != im.gt_labels[None, :]] = -1.0
        hprob = im.hazard_prob
        safe = im.urgency_prob[:, 0] >= im.urgency_prob[:, 1]  # the non-hazard argmax
        for i, thr in enumerate(hazard_thresholds):
            is_hazard = hprob >= thr
            for j, e in enumerate(exponents):
                # float32 like the head, so thresholds compare as they do there
                shown_score = np.where(is_hazard, im.scores ** np.float32(e), im.scores)
                order = np.argsort(-shown_score, kind='stable')
                match = _greedy(order, ious, iou_thr)
                s, h = shown_score[order], is_hazard[order]
                gt_h = np.zeros(len(order), bool)
                gt_h[match >= 0] = im.gt_hazard[match[match >= 0]]
                # per display threshold, the shown prefix: count with cumulative sums
                n_shown = (s[None, :] >= disp[:, None]).sum(1)
                cum = lambda x: np.concatenate([[0], np.cumsum(x)])  # noqa: E731
                found[i, j] += cum(gt_h & h)[n_shown]
                alerts[i, j] += cum(h & ~gt_h)[n_shown]
                unsafe[i, j] += cum(gt_h & ~h & safe[order])[n_shown]
    n_img = max(len(images), 1)
    points = []
    for i, thr in enumerate(hazard_thresholds):
        for j, e in enumerate(exponents):
            for k, d in enumerate(disp):
                points.append(dict(
                    hazard_prob_thr=float(thr), hazard_score_exponent=float(e),
                    score_thr=float(d),
                    hazard_recall=float(found[i, j, k] / hazards) if hazards else 0.0,
                    false_alerts_per_image=float(alerts[i, j, k] / n_img),
                    false_safe_rate=float(unsafe[i, j, k] / hazards) if hazards else 0.0,
                    hazards_found=int(found[i, j, k]), hazards=hazards,
                    images=len(images)))
    return points


def choose(points: Sequence[Dict[str, float]], target: float) -> Dict[str, float]:
    """The point meeting ``hazard_recall >= target`` with the fewest false alerts per image
    (then the lowest false-safe rate, then the highest display threshold); when none meets
    it, the highest recall. ``meets_target`` says which; the recall's 95 % Wilson interval
    is added."""
    ok = [p for p in points if p['hazard_recall'] >= target]
    if ok:
        best = min(ok, key=lambda p: (p['false_alerts_per_image'], p['false_safe_rate'],
                                      -p['score_thr'], -p['hazard_score_exponent'],
                                      -p['hazard_prob_thr']))
    else:
        best = max(points, key=lambda p: (p['hazard_recall'], -p['false_alerts_per_image']))
    low, high = wilson_interval(best['hazards_found'], best['hazards'])
    return dict(best, recall_target=float(target), meets_target=bool(ok),
                hazard_recall_ci_low=low, hazard_recall_ci_high=high)


def format_operating_point(op: Dict[str, float]) -> str:
    """One line for logs and tools."""
    verdict = 'meets' if op.get('meets_target') else 'does NOT meet'
    return (f"operating point (set on {op.get('split', 'val')}): hazard_prob_thr "
            f"{op['hazard_prob_thr']:g}, hazard_score_exponent {op['hazard_score_exponent']:g}, "
            f"display score_thr {op['score_thr']:g}: hazard recall {op['hazard_recall']:.4f} "
            f"[{op['hazard_recall_ci_low']:.4f}, {op['hazard_recall_ci_high']:.4f}] of "
            f"{op['hazards']} hazards ({verdict} the target {op['recall_target']:g}), "
            f"{op['false_alerts_per_image']:.3f} false hazard alerts per image, false-safe "
            f"rate {op['false_safe_rate']:.4f}")


def curve_lines(points: Sequence[Dict[str, float]], score_thr: float
                ) -> Dict[float, List[Tuple[float, float]]]:
    """Per score exponent (largest first), the (false alerts per image, hazard recall) of
    its swept points at display threshold ``score_thr``, by increasing false alerts."""
    lines = {}
    for e in sorted({p['hazard_score_exponent'] for p in points}, reverse=True):
        line = sorted((p['false_alerts_per_image'], p['hazard_recall']) for p in points
                      if p['hazard_score_exponent'] == e and p['score_thr'] == score_thr)
        lines[e] = line
    return lines


def plot_curve(points: Sequence[Dict[str, float]], op: Dict[str, float], path: str) -> None:
    """Hazard recall against false alerts per image: one line per score exponent over the
    hazard thresholds, at the chosen display threshold (:func:`curve_lines`); the chosen
    point and the target."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for e, line in curve_lines(points, op['score_thr']).items():
        ax.plot([a for a, _ in line], [r for _, r in line], marker='.',
                label=f'exponent {e:g}')
    ax.axhline(op['recall_target'], color='grey', linestyle='--',
               label=f"target {op['recall_target']:g}")
    ax.plot([op['false_alerts_per_image']], [op['hazard_recall']], 'k*', markersize=14,
            label=f"chosen: thr {op['hazard_prob_thr']:g}, exp "
                  f"{op['hazard_score_exponent']:g}")
    ax.set_xlabel('false hazard alerts per image')
    ax.set_ylabel('hazard recall')
    ax.set_title(f"Hazard operating points (display score >= {op['score_thr']:g}, "
                 f"{op['images']} images, {op['hazards']} hazards)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def apply_operating_point(model: torch.nn.Module, op: Optional[Dict[str, float]]) -> bool:
    """Set the hazard threshold and exponent of every head of ``model`` that has them (its
    ``test_cfg``) and ``model.display_score_thr``; False when ``op`` is None."""
    if not op:
        return False
    for module in model.modules():
        cfg = getattr(module, 'test_cfg', None)
        if isinstance(cfg, dict) and 'hazard_prob_thr' in cfg:
            cfg['hazard_prob_thr'] = float(op['hazard_prob_thr'])
            cfg['hazard_score_exponent'] = float(op['hazard_score_exponent'])
    model.display_score_thr = float(op['score_thr'])
    return True

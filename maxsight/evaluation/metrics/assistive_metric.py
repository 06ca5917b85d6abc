"""Distance, urgency and scene-urgency metrics for assistive use (DESIGN section 7).

Matching (documented in docs/evaluation.md): per image, detections with score >=
``score_thr`` are taken in descending score order; each is matched to the not yet matched
ground-truth object of the same class with the highest IoU, if that IoU >= ``iou_thr``
(one-to-one, greedy by score, as COCO does). ``iscrowd`` regions are never matched.

Reported over matched pairs: ``distance/zone_acc``, ``distance/mae_m`` (and per true zone),
``urgency/acc``, confusion matrices; over all ground-truth hazards (urgency >= 2, matched
or not): ``urgency/hazard_recall`` (detected and predicted >= 2), ``urgency/false_safe_rate``
(detected but predicted 0, i.e. the user is told it is safe), ``urgency/hazard_miss_rate``
(not detected); per image: ``scene/urgency_acc`` and ``urgency/false_alerts_per_image``
(shown detections called a hazard, >= 2, that match no ground-truth hazard: the
calibration's count, :mod:`maxsight.evaluation.calibration`). Objects whose labels were
derived rather than annotated are also reported separately (``..._annotated`` /
``..._derived``). Where the ground truth knows each object's motion (clips:
``approach_m_s``), urgency accuracy is also split into ``urgency/acc_approaching`` (>= 0.5
m/s towards the camera) and ``urgency/acc_not_approaching`` (still or leaving), and given
for the moving objects, ``urgency/acc_moving`` (>= 0.5 m/s towards or away from it). Where
annotations mark objects whose urgency depends on something elsewhere in the image
(``urgency_context``, e.g. vehicles at a pedestrian signal), their accuracy is
``urgency/acc_context`` (count ``urgency/acc_context_n``). Where images say which sides
have a hazard beside the view, heard and not seen (``beside_hazards``), a side counts as
alerted when the model's ``pred_beside_hazard`` probability on it is >= ``beside_thr``
(a model without that output alerts on none): ``urgency/beside_hazard_recall`` (alerted
sides among those with a hazard, count ``urgency/beside_hazard_recall_n``) and
``urgency/beside_false_alerts_per_image`` (alerted sides without one, per such image).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from torchvision.ops import box_iou

from ...datasets.labels import BESIDE_ALERT_THR, beside_alerts
from ...registry import METRICS
from ...value_checks import is_number
from ..confidence import gate_verdict, wilson_interval

#: images with the most missed hazards kept for the report
MISSED_EXAMPLES = 4
#: m/s towards the camera from which a clip object counts as approaching (and away from
#: it, as leaving; either is moving)
APPROACHING_M_S = 0.5
DEFAULT_GATES = {'urgency/hazard_recall': ('>=', 0.95),
                 'urgency/false_safe_rate': ('<=', 0.01),
                 'distance/zone_acc': ('>=', 0.85)}


def match_detections(pred_boxes: torch.Tensor, pred_labels: torch.Tensor,
                     pred_scores: torch.Tensor, gt_boxes: torch.Tensor,
                     gt_labels: torch.Tensor, iou_thr: float = 0.5) -> List[tuple]:
    """Greedy one-to-one matching by descending score; boxes xyxy in the same pixels.

    Returns (pred_index, gt_index) pairs.
    """
    if len(pred_boxes) == 0 or len(gt_boxes) == 0:
        return []
    ious = box_iou(pred_boxes.float(), gt_boxes.float())
    ious[pred_labels[:, None] != gt_labels[None, :]] = -1.0
    taken = torch.zeros(len(gt_boxes), dtype=torch.bool)
    pairs = []
    for p in torch.argsort(pred_scores, descending=True, stable=True).tolist():
        cand = ious[p].clone()
        cand[taken] = -1.0
        g = int(cand.argmax())
        if cand[g] >= iou_thr:
            taken[g] = True
            pairs.append((p, g))
    return pairs


def confusion(true: Sequence[int], pred: Sequence[int], k: int) -> np.ndarray:
    """[k, k] counts, rows = ground truth, columns = prediction."""
    mat = np.zeros((k, k), np.int64)
    for t, p in zip(true, pred):
        mat[int(t), int(p)] += 1
    return mat


def _safe_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


@METRICS.register_module()
class AssistiveMetric(BaseMetric):
    """Distance / urgency / scene-urgency metrics with safety gates.

    Args:
        iou_thr: IoU for a detection to count as finding an object (0.5).
        score_thr: detections below this score are not shown to the user (0.3).
        beside_thr: probability from which a side beside the view is alerted (0.5).
        gates: {metric key: (op, threshold)} shown as PASS/FAIL; defaults: hazard recall
            >= 0.95, false-safe rate <= 0.01, distance zone accuracy >= 0.85. A gate on a
            proportion also gets ``<key>_n``, ``<key>_ci_low``, ``<key>_ci_high`` (95 %
            Wilson interval) and the verdict PASS (the interval clears the threshold),
            PASS (point only) or FAIL.
    """
    # keys carry their own groups (distance/, urgency/, scene/); '' rather than None, which
    # mmengine warns about on every run
    default_prefix: Optional[str] = ''

    def __init__(self, iou_thr: float = 0.5, score_thr: float = 0.3,
                 beside_thr: float = BESIDE_ALERT_THR,
                 gates: Optional[Dict[str, tuple]] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not (is_number(beside_thr) and 0.0 < beside_thr < 1.0):
            raise ValueError(f'AssistiveMetric: beside_thr must be in (0, 1), got '
                             f'{beside_thr!r}')
        self.iou_thr, self.score_thr, self.beside_thr = iou_thr, score_thr, float(beside_thr)
        self.gates = {k: tuple(v) for k, v in (gates or DEFAULT_GATES).items()}
        self.last_report: Dict = {}

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred, gt = sample['pred_instances'], sample['gt_instances']
            keep = pred['scores'] >= self.score_thr
            sx, sy = sample.get('scale_factor', (1.0, 1.0))
            gt_boxes = gt['bboxes'].cpu() / torch.tensor([sx, sy, sx, sy])  # to original px
            pairs = match_detections(pred['bboxes'][keep].cpu(), pred['labels'][keep].cpu(),
                                     pred['scores'][keep].cpu(), gt_boxes,
                                     gt['labels'].cpu(), self.iou_thr)
            p_idx = [p for p, _ in pairs]
            g_idx = [g for _, g in pairs]
            matched_gt = torch.zeros(len(gt_boxes), dtype=torch.bool)
            matched_gt[g_idx] = True
            hazard = gt['urgency'].cpu() >= 2
            missed = hazard & ~matched_gt

            def sel(inst, key, idx, mask=None):
                values = inst[key].cpu()
                values = values[mask] if mask is not None else values
                return values[idx].numpy()

            self.results.append(dict(
                gt_zone=sel(gt, 'distance_zone', g_idx), gt_dist=sel(gt, 'distance_m', g_idx),
                gt_urg=sel(gt, 'urgency', g_idx),
                zone_derived=sel(gt, 'zone_derived', g_idx),
                urg_derived=sel(gt, 'urgency_derived', g_idx),
                gt_approach=sel(gt, 'approach_m_s', g_idx) if 'approach_m_s' in gt
                else np.full(len(g_idx), np.nan, np.float32),
                gt_context=sel(gt, 'urgency_context', g_idx) if 'urgency_context' in gt
                else np.zeros(len(g_idx), bool),
                pred_zone=sel(pred, 'distance_zone', p_idx, keep),
                pred_dist=sel(pred, 'distance_m', p_idx, keep),
                pred_urg=sel(pred, 'urgency', p_idx, keep),
                hazards=int(hazard.sum()), hazards_missed=int(missed.sum()),
                hazard_calls=int((pred['urgency'][keep] >= 2).sum()),
                scene_gt=int(sample.get('scene_urgency', 0)),
                scene_pred=int(sample.get('pred_scene_urgency', 0)),
                beside=self._beside(sample),
                missed=self._missed_example(sample, gt, gt_boxes, missed, pred, keep)))

    def _beside(self, sample: dict) -> Optional[np.ndarray]:
        """[2, 2] bool (row 0: hazard beside the view, row 1: alerted; columns left, right),
        or None when the image does not say."""
        truth = sample.get('beside_hazard')
        if truth is None:
            return None
        alerted = beside_alerts(sample.get('pred_beside_hazard'), self.beside_thr)
        return np.stack([np.asarray(truth) > 0.5, alerted])

    @staticmethod
    def _missed_example(sample, gt, gt_boxes, missed, pred, keep) -> Optional[dict]:
        """What a report needs to show an image's ``missed`` [G] hazards (original pixels):
        None when every hazard was found."""
        if not bool(missed.any()) or not sample.get('img_path'):
            return None
        return dict(img_path=sample['img_path'],
                    gt_boxes=gt_boxes[missed].numpy(), gt_labels=gt['labels'].cpu()[missed]
                    .numpy(), gt_urgency=gt['urgency'].cpu()[missed].numpy(),
                    gt_distance=gt['distance_m'].cpu()[missed].numpy(),
                    boxes=pred['bboxes'][keep].cpu().numpy(),
                    labels=pred['labels'][keep].cpu().numpy(),
                    scores=pred['scores'][keep].cpu().numpy(),
                    distance=pred['distance_m'][keep].cpu().numpy(),
                    urgency=pred['urgency'][keep].cpu().numpy())

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        cat = {k: np.concatenate([r[k] for r in results]) if results else np.zeros(0)
               for k in ('gt_zone', 'gt_dist', 'gt_urg', 'pred_zone', 'pred_dist', 'pred_urg',
                         'zone_derived', 'urg_derived', 'gt_approach', 'gt_context')}
        n = len(cat['gt_zone'])
        zone_ok = cat['gt_zone'] == cat['pred_zone']
        urg_ok = cat['gt_urg'] == cat['pred_urg']
        abs_err = np.abs(cat['gt_dist'] - cat['pred_dist'])
        hazards = sum(r['hazards'] for r in results)
        matched_hazard = cat['gt_urg'] >= 2
        # every proportion as (successes, trials): the gates' intervals need both
        counts = {
            'distance/zone_acc': (zone_ok.sum(), n),
            'urgency/acc': (urg_ok.sum(), n),
            'urgency/hazard_recall': ((matched_hazard & (cat['pred_urg'] >= 2)).sum(), hazards),
            'urgency/false_safe_rate': ((matched_hazard & (cat['pred_urg'] == 0)).sum(),
                                        hazards),
            'urgency/hazard_miss_rate': (sum(r['hazards_missed'] for r in results), hazards),
            'scene/urgency_acc': (sum(r['scene_gt'] == r['scene_pred'] for r in results),
                                  len(results)),
        }
        metrics = {key: _safe_div(k, trials) for key, (k, trials) in counts.items()}
        # a shown hazard call is right when it is a matched pair of a hazard called >= 2
        metrics['urgency/false_alerts_per_image'] = _safe_div(
            sum(r['hazard_calls'] for r in results) - counts['urgency/hazard_recall'][0],
            len(results))
        beside = [r['beside'] for r in results if r.get('beside') is not None]
        if beside:  # hazards heard beside the view, per side
            truth, alerted = (np.stack([b[i] for b in beside]) for i in (0, 1))
            counts['urgency/beside_hazard_recall'] = ((truth & alerted).sum(), truth.sum())
            metrics['urgency/beside_hazard_recall'] = _safe_div(*counts[
                'urgency/beside_hazard_recall'])
            metrics['urgency/beside_hazard_recall_n'] = float(truth.sum())
            metrics['urgency/beside_false_alerts_per_image'] = _safe_div(
                (~truth & alerted).sum(), len(beside))
        metrics['distance/mae_m'] = float(abs_err.mean()) if n else 0.0
        metrics['assistive/matched_objects'] = float(n)
        for z, name in enumerate(('near', 'medium', 'far')):
            in_zone = cat['gt_zone'] == z
            metrics[f'distance/mae_m_{name}'] = float(abs_err[in_zone].mean()) \
                if in_zone.any() else 0.0
        for flag, key, ok in (('zone_derived', 'distance/zone_acc', zone_ok),
                              ('urg_derived', 'urgency/acc', urg_ok)):
            derived = cat[flag].astype(bool)
            if derived.any():
                metrics[f'{key}_derived'] = _safe_div(ok[derived].sum(), derived.sum())
                metrics[f'{key}_annotated'] = _safe_div(ok[~derived].sum(), (~derived).sum())
        approach = cat['gt_approach']
        if np.isfinite(approach).any():  # clips: is the urgency of moving objects right?
            coming = approach >= APPROACHING_M_S
            still = approach < APPROACHING_M_S  # NaN (unknown) is neither
            metrics['urgency/acc_approaching'] = _safe_div(urg_ok[coming].sum(), coming.sum())
            metrics['urgency/acc_not_approaching'] = _safe_div(urg_ok[still].sum(),
                                                               still.sum())
            moving = np.abs(approach) >= APPROACHING_M_S
            metrics['urgency/acc_moving'] = _safe_div(urg_ok[moving].sum(), moving.sum())
        context = cat['gt_context'].astype(bool)
        if context.any():  # urgency set by something elsewhere in the image (signal set)
            metrics['urgency/acc_context'] = _safe_div(urg_ok[context].sum(), context.sum())
            metrics['urgency/acc_context_n'] = float(context.sum())
        zone_cm = confusion(cat['gt_zone'], cat['pred_zone'], 3)
        urg_cm = confusion(cat['gt_urg'], cat['pred_urg'], 4)
        gates = {}
        for key, (op, thr) in self.gates.items():
            value = metrics.get(key)
            gate = dict(op=op, threshold=thr, value=value, n=None, ci_low=None, ci_high=None)
            if key in counts:
                k, trials = counts[key]
                gate['n'] = int(trials)
                gate['ci_low'], gate['ci_high'] = wilson_interval(float(k), float(trials))
                metrics[f'{key}_n'] = float(trials)
                metrics[f'{key}_ci_low'] = gate['ci_low']
                metrics[f'{key}_ci_high'] = gate['ci_high']
            ci = None if gate['n'] is None else (gate['ci_low'], gate['ci_high'])
            gate['verdict'] = gate_verdict(op, thr, value, ci)
            gate['passed'] = gate['verdict'] != 'FAIL'
            gates[key] = gate
        examples = sorted((r['missed'] for r in results if r.get('missed')),
                          key=lambda e: -len(e['gt_boxes']))
        self.last_report = dict(zone_confusion=zone_cm.tolist(),
                                urgency_confusion=urg_cm.tolist(), gates=gates,
                                missed_hazards=examples[:MISSED_EXAMPLES])
        MMLogger.get_current_instance().info(self.format_report(metrics))
        return metrics

    def format_report(self, metrics: Dict[str, float]) -> str:
        rep = self.last_report
        lines = ['assistive metrics (IoU >= %.2f, score >= %.2f):' % (self.iou_thr,
                                                                       self.score_thr)]
        lines += [f'  zone confusion (rows gt near/medium/far): {rep["zone_confusion"]}',
                  f'  urgency confusion (rows gt safe..danger): {rep["urgency_confusion"]}']
        for key, g in rep['gates'].items():
            lines.append(f'  gate {key} {g["op"]} {g["threshold"]}: '
                         f'{metrics.get(key, float("nan")):.4f}{format_interval(g)} '
                         f'{g["verdict"]}')
        return '\n'.join(lines)


def format_interval(gate: dict) -> str:
    """' [low, high] n=N' for a gate with an interval, '' otherwise."""
    if gate.get('n') is None:
        return ''
    return f' [{gate["ci_low"]:.4f}, {gate["ci_high"]:.4f}] n={gate["n"]}'


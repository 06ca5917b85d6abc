"""Does a model read the pedestrian signal of the signal set (docs/data.md)?

Two figures. The *signal-blind ceiling*: the expected ``urgency/acc_context`` of a model
that knows every other term of a vehicle's urgency exactly (its class's
``hazard_prior``, ``distance_m``, horizontal centre) but not the signal's state: where
both states give the same level it is right; elsewhere, with the two states at even odds,
a call made without the state is right half the time. A model above it reads the signal.
And, *per state*, how a model's predictions for the matched vehicles compare with the
truth: a model that ignores the signal predicts the same mean level at "walk" and at
"don't walk", while the truth differs by about two levels.
"""
from typing import Dict, List, Tuple

import numpy as np

from ..datasets.coco_parsing import AnnotationError, load_json
from ..datasets.labels import SIGNAL_STATES, signal_urgency_score, urgency_level
from ..evaluation.hazard_breakdown import matched_objects
from .rule_inputs import with_rule_inputs


def _signal_file(ann_file: str) -> dict:
    data = load_json(ann_file)
    if not (data.get('info') or {}).get('traffic_signal'):
        raise AnnotationError(f'{ann_file}: info.traffic_signal missing: not a signal-set '
                              'file (make_synthetic_dataset.py --signals, or a run with '
                              'embedded_dataset.traffic_signal=True)')
    return data


def signal_blind_ceiling(ann_file: str) -> Dict[str, float]:
    """``acc``: the expected context accuracy of a signal-blind model on the non-crowd
    ``urgency_context`` objects of ``ann_file``; ``same_share``: the share of them whose
    level is the same in both states; ``n``: how many."""
    data = _signal_file(ann_file)
    context = (a for a in data['annotations'] if a.get('urgency_context') and not a.get('iscrowd'))
    same = []
    for a, prior, cx in with_rule_inputs(data, ann_file, context):
        held, moving = (urgency_level(signal_urgency_score(prior, a['distance_m'], cx, state))
                        for state in (True, False))
        same.append(held == moving)
    share = float(np.mean(same)) if same else float('nan')
    return dict(acc=share + 0.5 * (1.0 - share), same_share=share, n=len(same))


def reading_by_state(ann_file: str, pred_file: str, score_thr: float = 0.3,
                     iou_thr: float = 0.5) -> Dict[str, Dict[str, float]]:
    """For each state: the ``urgency_context`` objects that the detections of
    ``pred_file`` (COCO results with ``urgency``, e.g. the tier ladder's
    ``ladder_test_predictions.json``) match as ``AssistiveMetric`` matches (score >=
    ``score_thr``, greedy by score, same class, IoU >= ``iou_thr``), and ``n``, ``acc``,
    ``true_mean`` and ``pred_mean`` (mean urgency level) over them."""
    pairs: Dict[str, List[Tuple[int, int]]] = {s: [] for s in SIGNAL_STATES}
    for image, _, inst, det in matched_objects(ann_file, pred_file, score_thr, iou_thr):
        if det is not None and inst['urgency_context'] and \
                image.get('traffic_signal') in pairs:
            pairs[image['traffic_signal']].append((inst['urgency'], det['urgency']))
    out = {}
    for state, rows in pairs.items():
        if not rows:
            out[state] = dict(n=0, acc=float('nan'), true_mean=float('nan'),
                              pred_mean=float('nan'))
            continue
        true, pred = np.array(rows, dtype=float).T
        out[state] = dict(n=len(rows), acc=float((true == pred).mean()),
                          true_mean=float(true.mean()), pred_mean=float(pred.mean()))
    return out

"""How much of clip urgency a single frame can know: the ceiling a frame-by-frame model
cannot pass however well it sees, and so the headroom of a temporal model (T5).

Each object of the evaluated clips is taken with everything one frame shows exactly (its
class's ``hazard_prior``, ``distance_m``, horizontal centre) and its approach speed unknown.
The best single-frame call is the level that most of its class's approach speeds in the
training clips give it (:func:`~maxsight.datasets.labels.moving_urgency_score`); its
accuracy is the ceiling. Knowing the motion, the rule gives the label itself (1.0).
"""
import collections
from typing import Dict, List

import numpy as np

from ..datasets.coco_parsing import AnnotationError, load_json
from ..datasets.labels import moving_urgency_score, urgency_level
from ..evaluation.metrics.assistive_metric import APPROACHING_M_S
from .rule_inputs import with_rule_inputs

FIELDS = ('bbox', 'distance_m', 'approach_m_s', 'urgency')


def _objects(ann_file: str) -> List[dict]:
    """The annotations of a clip file with a known approach speed, each with its class's
    ``prior`` and horizontal centre ``cx`` (fraction of the image width)."""
    data = load_json(ann_file)
    for i, a in enumerate(data['annotations']):
        for field in FIELDS:
            if a.get(field) is None:
                raise AnnotationError(
                    f'{ann_file}: annotation {a.get("id", i)}: field "{field}" missing; the '
                    'single-frame ceiling needs clip annotations with a known motion '
                    '(the embedded train_clips / test_clips)')
    # an object of unknown motion is not scored, as in AssistiveMetric
    moving = (a for a in data['annotations'] if np.isfinite(a['approach_m_s']))
    return [dict(a, prior=prior, cx=cx)
            for a, prior, cx in with_rule_inputs(data, ann_file, moving)]


def _share(flags: List[bool]) -> float:
    """Share of True in ``flags``; NaN when empty."""
    return float(np.mean(flags)) if flags else float('nan')


def single_frame_ceiling(train_ann: str, test_ann: str) -> Dict[str, float]:
    """Accuracy of the best single-frame urgency call on ``test_ann``'s objects, split like
    ``urgency/acc_approaching`` (>= ``APPROACHING_M_S`` m/s), ``_not_approaching`` and
    ``_moving`` (towards or away from the camera); the approach speeds a frame cannot see are
    drawn from ``train_ann``'s objects of the same class (a class with none there is taken
    as still, 0 m/s). Returns ``acc_approaching``, ``acc_not_approaching``, ``acc_moving``,
    ``acc`` and the counts ``n_approaching``, ``n_not_approaching``, ``n_moving``."""
    speeds = collections.defaultdict(list)
    for a in _objects(train_ann):
        speeds[a['category_id']].append(a['approach_m_s'])
    right = {True: [], False: []}
    moving = []
    for a in _objects(test_ann):
        levels = collections.Counter(
            urgency_level(moving_urgency_score(a['prior'], a['distance_m'], a['cx'], v))
            for v in speeds.get(a['category_id'], [0.0]))
        best = min(levels, key=lambda level: (-levels[level], level))  # ties: the lower
        right[a['approach_m_s'] >= APPROACHING_M_S].append(best == a['urgency'])
        if abs(a['approach_m_s']) >= APPROACHING_M_S:
            moving.append(best == a['urgency'])
    return dict(acc_approaching=_share(right[True]), acc_not_approaching=_share(right[False]),
                acc_moving=_share(moving), acc=_share(right[True] + right[False]),
                n_approaching=len(right[True]), n_not_approaching=len(right[False]),
                n_moving=len(moving))

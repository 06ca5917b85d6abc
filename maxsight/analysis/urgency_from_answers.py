"""How much urgency a model leaves unused in its own answers (T3's target,
docs/tiers.md#measured-2026-12-06-fifth-t3s-hazard-recall-follows-how-its-urgency-reads-its-answers).

For every object a model detected (matched as ``AssistiveMetric`` matches), three urgency
calls are compared with the annotated urgency:

* ``model``: the urgency the model reported;
* ``rule_on_answers``: the data's rule (:func:`~maxsight.datasets.labels.urgency_from_fields`)
  on the detection's own answers: its class's ``hazard_prior``, predicted ``distance_m``
  and box centre;
* ``rule_true_distance``: the same, with the object's true distance in place of the
  predicted one.

The gap from ``model`` to ``rule_on_answers`` is urgency the answers carry and the
model's urgency output does not use; from there to ``rule_true_distance``, what the
distance error costs. Meaningful where the file's urgency follows the rule: the embedded
images, and COCO files whose urgency the toolkit derives.
"""
from typing import Dict

from ..datasets.labels import urgency_from_fields
from ..evaluation.hazard_breakdown import parse_and_match, predicted_distance_m

CALLS = ('model', 'rule_on_answers', 'rule_true_distance')


def urgency_from_answers(ann_file: str, pred_file: str, score_thr: float = 0.3,
                         iou_thr: float = 0.5) -> Dict[str, float]:
    """For the detected objects of ``ann_file`` in ``pred_file`` (detections with
    ``distance_m``, as ``tools/test.py --pred-out`` writes): ``<call>/acc``, the share
    whose urgency is right, and ``<call>/hazard_call``, the share of the detected hazards
    (urgency >= 2) called >= 2, for each of :data:`CALLS`; ``objects`` and ``hazards``
    count them."""
    parsed, objects = parse_and_match(ann_file, pred_file, score_thr, iou_thr)
    right = dict.fromkeys(CALLS, 0)
    called = dict.fromkeys(CALLS, 0)
    n_obj = n_haz = 0
    for image, ann, inst, det in objects:
        if det is None:
            continue
        distance_m = predicted_distance_m(det, ann, pred_file)
        x, _, w, _ = det['bbox']
        cx = (x + w / 2) / image['width']
        prior = parsed.hazard_priors[inst['bbox_label']]  # matching keeps the class
        calls = dict(model=det['urgency'],
                     rule_on_answers=urgency_from_fields(prior, distance_m, cx),
                     rule_true_distance=urgency_from_fields(prior, inst['distance_m'], cx))
        truth = int(inst['urgency'])
        n_obj += 1
        n_haz += truth >= 2
        for name, level in calls.items():
            right[name] += level == truth
            called[name] += truth >= 2 and level >= 2
    out: Dict[str, float] = dict(objects=n_obj, hazards=n_haz)
    for name in CALLS:
        out[f'{name}/acc'] = right[name] / n_obj if n_obj else float('nan')
        out[f'{name}/hazard_call'] = called[name] / n_haz if n_haz else float('nan')
    return out


def format_answers_table(out: Dict[str, float]) -> str:
    """Markdown table: one row per call."""
    lines = [f'| urgency call ({out["objects"]} detected objects, {out["hazards"]} hazards) '
             '| urgency acc | detected hazards called >= warning |', '|---|---|---|']
    lines += [f'| {name} | {out[f"{name}/acc"]:.3f} | {out[f"{name}/hazard_call"]:.3f} |'
              for name in CALLS]
    return '\n'.join(lines)

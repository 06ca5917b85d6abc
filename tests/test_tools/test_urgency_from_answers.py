"""tools/analysis_tools/urgency_from_answers.py: the model's urgency calls against the
urgency rule on the same detections' answers, on a hand-computed case."""
import json

import pytest

from maxsight.utils.errors import ToolError


def _ann(id, cat, bbox, distance_m, urgency):
    return dict(id=id, image_id=1, category_id=cat, bbox=bbox, area=bbox[2] * bbox[3],
                iscrowd=0, distance_m=distance_m, urgency=urgency)


def _det(cat, bbox, distance_m, urgency, score=0.9):
    return dict(image_id=1, category_id=cat, bbox=bbox, score=score, distance_m=distance_m,
                urgency=urgency)


def _write(tmp_path, dets):
    coco = dict(info={}, images=[dict(id=1, file_name='a.png', width=100, height=100)],
                categories=[dict(id=5, name='car', hazard_prior=0.9),
                            dict(id=7, name='pole', hazard_prior=0.4)],
                annotations=[_ann(1, 5, [40, 0, 20, 20], 1.0, 3),
                             _ann(2, 7, [0, 50, 20, 20], 1.0, 1),
                             _ann(3, 5, [30, 30, 40, 40], 3.5, 2),
                             _ann(4, 5, [70, 70, 20, 20], 2.0, 3),    # never detected
                             _ann(5, 5, [70, 30, 30, 40], 3.5, 1)])
    ann, pred = tmp_path / 'ann.json', tmp_path / 'pred.json'
    ann.write_text(json.dumps(coco))
    pred.write_text(json.dumps(dets))
    return str(ann), str(pred)


def test_three_calls_by_hand(tmp_path):
    """Rule: prior x 1 / (1 + max(d - 1, 0) / 2.5) x (1 - |cx - 0.5|), levels at 0.15 /
    0.3 / 0.5. Object 1 (car, centre 0.5, 1 m: 0.9, danger) detected at 8.5 m: 0.225,
    caution; the model said warning. Object 2 (pole, centre 0.1: 0.4 x 0.6 = 0.24,
    caution) at the true 1 m; the model said safe. Object 3 (car, centre 0.5, 3.5 m: 0.45,
    warning), all three right. Object 5 (car, 3.5 m, centre 0.85: 0.9 x 0.5 x 0.65 =
    0.2925, caution; its left edge, 0.7, would make it warning), all three right. A
    detection matching nothing and an undetected object are left out."""
    from maxsight.analysis.urgency_from_answers import (format_answers_table,
                                                        urgency_from_answers)
    files = _write(tmp_path, [_det(5, [40, 0, 20, 20], 8.5, 2),
                              _det(7, [0, 50, 20, 20], 1.0, 0),
                              _det(5, [30, 30, 40, 40], 3.5, 2),
                              _det(5, [70, 30, 30, 40], 3.5, 1),
                              _det(7, [80, 0, 10, 10], 1.0, 3)])
    out = urgency_from_answers(*files)
    assert out == {'objects': 4, 'hazards': 2,
                   'model/acc': 2 / 4, 'model/hazard_call': 1.0,
                   'rule_on_answers/acc': 3 / 4, 'rule_on_answers/hazard_call': 0.5,
                   'rule_true_distance/acc': 1.0, 'rule_true_distance/hazard_call': 1.0}
    assert format_answers_table(out).splitlines()[3] == '| rule_on_answers | 0.750 | 0.500 |'


def test_a_detection_without_distance_is_refused_by_name(tmp_path):
    from maxsight.analysis.urgency_from_answers import urgency_from_answers
    det = _det(5, [40, 0, 20, 20], 8.5, 2)
    del det['distance_m']
    with pytest.raises(ToolError, match=r'pred.json: the detection of annotation id=\d+: '
                                        r'field distance_m: expected a positive number \(m\), '
                                        r'got None, in image 1 '):
        urgency_from_answers(*_write(tmp_path, [det]))

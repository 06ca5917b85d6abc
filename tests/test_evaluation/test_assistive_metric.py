import pytest
import torch

from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric, match_detections


def test_greedy_matching_by_score_same_class_iou():
    preds = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [50., 50., 60., 60.]])
    gts = torch.tensor([[0., 0., 10., 10.], [50., 50., 60., 61.]])
    pairs = match_detections(preds, torch.tensor([0, 0, 1]), torch.tensor([0.5, 0.9, 0.8]),
                             gts, torch.tensor([0, 0]))
    assert pairs == [(1, 0)]  # highest score takes the box; class 1 never matches class 0


def _sample(gt_urg, gt_zone, pred_urg, pred_zone, shift=0.0, scene=(2, 2)):
    n = len(gt_urg)
    boxes = torch.tensor([[20. * i, 0., 20. * i + 10, 10.] for i in range(n)])
    gt = dict(bboxes=boxes * 0.5, labels=torch.zeros(n, dtype=torch.long),
              distance_zone=torch.tensor(gt_zone), distance_m=torch.full((n,), 3.0),
              urgency=torch.tensor(gt_urg), zone_derived=torch.zeros(n, dtype=torch.bool),
              urgency_derived=torch.zeros(n, dtype=torch.bool))
    m = len(pred_urg)
    pred = dict(bboxes=boxes[:m] + shift, labels=torch.zeros(m, dtype=torch.long),
                scores=torch.linspace(0.9, 0.5, m), distance_zone=torch.tensor(pred_zone),
                distance_m=torch.full((m,), 4.0), urgency=torch.tensor(pred_urg))
    return dict(gt_instances=gt, pred_instances=pred, scale_factor=(0.5, 0.5),
                scene_urgency=scene[0], pred_scene_urgency=scene[1])


def test_hand_computed_safety_metrics():
    metric = AssistiveMetric()
    # image 1: 4 objects, 3 detected; hazards (urgency>=2) are objects 0, 1, 3
    # object 0 danger->danger, object 1 warning->safe (false safe), object 2 safe->caution,
    # object 3 danger: missed
    metric.process({}, [_sample([3, 2, 0, 3], [0, 1, 2, 1], [3, 0, 1], [0, 1, 1])])
    # image 2: one hazard detected as warning; scene urgency wrong
    metric.process({}, [_sample([2], [2], [2], [2], scene=(2, 0))])
    res = metric.evaluate(2)
    assert res['assistive/matched_objects'] == 4
    assert res['distance/zone_acc'] == pytest.approx(3 / 4)
    assert res['distance/mae_m'] == pytest.approx(1.0)
    assert res['urgency/acc'] == pytest.approx(2 / 4)
    assert res['urgency/hazard_recall'] == pytest.approx(2 / 4)
    assert res['urgency/false_safe_rate'] == pytest.approx(1 / 4)
    assert res['urgency/hazard_miss_rate'] == pytest.approx(1 / 4)
    assert res['scene/urgency_acc'] == pytest.approx(1 / 2)
    rep = metric.last_report
    assert rep['zone_confusion'] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert rep['gates']['urgency/hazard_recall']['passed'] is False
    assert rep['gates']['distance/zone_acc']['passed'] is False


def test_low_iou_is_not_a_match():
    metric = AssistiveMetric()
    metric.process({}, [_sample([3], [0], [3], [0], shift=8.0)])
    res = metric.evaluate(1)
    assert res['assistive/matched_objects'] == 0 and res['urgency/hazard_miss_rate'] == 1.0

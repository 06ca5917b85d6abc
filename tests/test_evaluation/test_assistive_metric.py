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


def test_iou_threshold_is_inclusive_and_a_taken_box_is_not_matched_twice():
    gt = torch.tensor([[0., 0., 10., 10.]])
    # IoU exactly 0.5: a box of area 50 inside the ground truth's 100
    half = torch.tensor([[0., 0., 10., 5.]])
    assert match_detections(half, torch.tensor([0]), torch.tensor([0.9]), gt,
                            torch.tensor([0])) == [(0, 0)]
    below = torch.tensor([[0., 0., 10., 4.9]])
    assert match_detections(below, torch.tensor([0]), torch.tensor([0.9]), gt,
                            torch.tensor([0])) == []
    assert match_detections(half, torch.tensor([0]), torch.tensor([0.9]), gt,
                            torch.tensor([0]), iou_thr=0.6) == []
    two = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 9.]])  # both overlap the one box
    assert match_detections(two, torch.tensor([0, 0]), torch.tensor([0.3, 0.8]), gt,
                            torch.tensor([0])) == [(1, 0)]  # the higher score, once


def test_mpc_and_rpc_are_the_mean_and_its_ratio_to_clean(monkeypatch):
    """mPC = mean mAP over corruptions x severities, rPC = mPC / P (Michaelis et al. 2019),
    from mAPs set per (corruption, severity)."""
    from maxsight.evaluation import robustness

    def fake_evaluate(model, cfg, metrics, seed):
        t = cfg['dataset']['pipeline'][1]
        return {'coco/bbox_mAP': {'low_light': 0.1, 'glare': 0.3}[t['name']] * t['severity']}
    monkeypatch.setattr(robustness, 'evaluate_model', fake_evaluate)
    loader = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile'),
                                         dict(type='PackDetInputs')]))
    out = robustness.lighting_robustness(None, loader, clean_map=0.5,
                                         corruptions=('low_light', 'glare'), severities=(1, 2))
    values = [0.1, 0.2, 0.3, 0.6]
    assert out['lighting/glare/2/bbox_mAP'] == pytest.approx(0.6)
    assert out['lighting/mPC'] == pytest.approx(sum(values) / 4)
    assert out['lighting/rPC'] == pytest.approx(sum(values) / 4 / 0.5)
    assert out['lighting/P'] == 0.5
    zero = robustness.lighting_robustness(None, loader, clean_map=0.0,
                                          corruptions=('glare',), severities=(1,))
    assert zero['lighting/rPC'] == 0.0

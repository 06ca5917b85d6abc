import numpy as np
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
        assert t['seed'] == seed == 3  # the corruption and the loader get the run's seed
        return {'coco/bbox_mAP': {'low_light': 0.1, 'glare': 0.3}[t['name']] * t['severity']}
    monkeypatch.setattr(robustness, 'evaluate_model', fake_evaluate)
    loader = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile'),
                                         dict(type='PackDetInputs')]))
    out = robustness.lighting_robustness(None, loader, clean_map=0.5,
                                         corruptions=('low_light', 'glare'), severities=(1, 2),
                                         seed=3)
    values = [0.1, 0.2, 0.3, 0.6]
    assert out['lighting/glare/2/bbox_mAP'] == pytest.approx(0.6)
    assert out['lighting/mPC'] == pytest.approx(sum(values) / 4)
    assert out['lighting/rPC'] == pytest.approx(sum(values) / 4 / 0.5)
    assert out['lighting/P'] == 0.5
    zero = robustness.lighting_robustness(None, loader, clean_map=0.0,
                                          corruptions=('glare',), severities=(1,), seed=3)
    assert zero['lighting/rPC'] == 0.0


def _t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


def _two_images():
    """Image A: resized by 0.5 (ground truth in resized pixels, predictions in original
    ones), a detection below the score threshold listed first, a wrong-class detection,
    a missed hazard; image B: no scale_factor key. Hand-worked results in the test."""
    long = torch.long
    a = dict(scale_factor=(0.5, 0.5), scene_urgency=3, pred_scene_urgency=3,
             gt_instances=dict(
                 bboxes=_t([[10, 10, 30, 30], [40, 10, 60, 30], [10, 40, 30, 60],
                            [40, 40, 60, 60]]),
                 labels=_t([0, 1, 0, 2], long), distance_zone=_t([0, 1, 2, 0], long),
                 distance_m=_t([2.0, 6.0, 15.0, 1.0]), urgency=_t([3, 2, 0, 2], long),
                 zone_derived=_t([0, 0, 1, 0], torch.bool),
                 urgency_derived=_t([0, 1, 0, 0], torch.bool)),
             pred_instances=dict(
                 bboxes=_t([[20, 20, 60, 60], [21, 21, 61, 61], [80, 20, 120, 60],
                            [20, 80, 60, 120], [20, 80, 60, 120]]),
                 labels=_t([0, 0, 1, 1, 0], long), scores=_t([0.29, 0.3, 0.9, 0.8, 0.5]),
                 distance_zone=_t([0, 0, 2, 2, 2], long),
                 distance_m=_t([2.0, 2.5, 9.0, 15.0, 13.0]),
                 urgency=_t([3, 0, 2, 0, 1], long)))
    b = dict(scene_urgency=1, pred_scene_urgency=1,
             gt_instances=dict(bboxes=_t([[0, 0, 10, 10]]), labels=_t([0], long),
                               distance_zone=_t([1], long), distance_m=_t([5.0]),
                               urgency=_t([1], long), zone_derived=_t([0], torch.bool),
                               urgency_derived=_t([0], torch.bool)),
             pred_instances=dict(bboxes=_t([[0, 0, 10, 10]]), labels=_t([0], long),
                                 scores=_t([0.95]), distance_zone=_t([1], long),
                                 distance_m=_t([4.5]), urgency=_t([1], long)))
    return [a, b]


def test_every_assistive_metric_on_a_hand_worked_case():
    metric = AssistiveMetric()
    metric.process({}, _two_images())
    out = metric.compute_metrics(metric.results)
    # matched pairs, in score order: A g1 (zone 1->2, 6->9 m, urgency 2->2), A g2 (2->2,
    # 15->13, 0->1), A g0 (0->0, 2->2.5, 3->0: told safe), B g0 (1->1, 5->4.5, 1->1);
    # hazards: A g0, g1, g3 (g3 not detected)
    assert out == pytest.approx({
        'distance/zone_acc': 3 / 4, 'distance/mae_m': (3 + 2 + 0.5 + 0.5) / 4,
        'urgency/acc': 2 / 4, 'urgency/hazard_recall': 1 / 3,
        'urgency/false_safe_rate': 1 / 3, 'urgency/hazard_miss_rate': 1 / 3,
        'scene/urgency_acc': 1.0, 'assistive/matched_objects': 4.0,
        'urgency/false_alerts_per_image': 0.0,  # the one shown hazard call is right
        'distance/mae_m_near': 0.5, 'distance/mae_m_medium': (3 + 0.5) / 2,
        'distance/mae_m_far': 2.0,
        'distance/zone_acc_derived': 1.0, 'distance/zone_acc_annotated': 2 / 3,
        'urgency/acc_derived': 1.0, 'urgency/acc_annotated': 1 / 3,
        # each gate's count and 95 % Wilson interval: 1 of 3 hazards, 3 of 4 matched zones
        'urgency/hazard_recall_n': 3.0, 'urgency/false_safe_rate_n': 3.0,
        'distance/zone_acc_n': 4.0,
        'urgency/hazard_recall_ci_low': _wilson(1, 3)[0],
        'urgency/hazard_recall_ci_high': _wilson(1, 3)[1],
        'urgency/false_safe_rate_ci_low': _wilson(1, 3)[0],
        'urgency/false_safe_rate_ci_high': _wilson(1, 3)[1],
        'distance/zone_acc_ci_low': _wilson(3, 4)[0],
        'distance/zone_acc_ci_high': _wilson(3, 4)[1]}, abs=1e-12)
    rep = metric.last_report
    assert rep['zone_confusion'] == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert rep['urgency_confusion'] == [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
                                        [1, 0, 0, 0]]
    assert {k: g['passed'] for k, g in rep['gates'].items()} == {
        'urgency/hazard_recall': False, 'urgency/false_safe_rate': False,
        'distance/zone_acc': False}
    assert metric.format_report(out) == (
        'assistive metrics (IoU >= 0.50, score >= 0.30):\n'
        '  zone confusion (rows gt near/medium/far): [[1, 0, 0], [0, 1, 1], [0, 0, 1]]\n'
        '  urgency confusion (rows gt safe..danger): '
        '[[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]\n'
        '  gate urgency/hazard_recall >= 0.95: 0.3333 [0.0615, 0.7923] n=3 FAIL\n'
        '  gate urgency/false_safe_rate <= 0.01: 0.3333 [0.0615, 0.7923] n=3 FAIL\n'
        '  gate distance/zone_acc >= 0.85: 0.7500 [0.3006, 0.9544] n=4 FAIL')


def _wilson(k, n, z=1.959963984540054):
    """Reference: the Wilson bounds are the p where |k/n - p| = z sqrt(p (1 - p) / n), the
    roots of (1 + z^2/n) p^2 - (2 k/n + z^2/n) p + (k/n)^2 = 0."""
    ph = k / n
    roots = np.roots([1 + z * z / n, -(2 * ph + z * z / n), ph * ph])
    return float(roots.min()), float(roots.max())


def test_wilson_interval_and_verdicts():
    from maxsight.evaluation.confidence import Z_95, gate_verdict, wilson_interval
    from scipy.stats import norm
    assert Z_95 == pytest.approx(norm.ppf(0.975), abs=1e-15)
    for k, n in ((0, 10), (1, 3), (352, 370), (370, 370), (7, 1000)):
        assert wilson_interval(k, n) == pytest.approx(_wilson(k, n), abs=1e-9)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(5, 10, z=1.0) == pytest.approx(_wilson(5, 10, z=1.0), abs=1e-12)
    assert gate_verdict('>=', 0.95, 0.96, (0.951, 0.97)) == 'PASS'
    assert gate_verdict('>=', 0.95, 0.96, (0.93, 0.97)) == 'PASS (point only)'
    assert gate_verdict('>=', 0.95, 0.95, (0.93, 0.97)) == 'PASS (point only)'
    assert gate_verdict('>=', 0.95, 0.9499, (0.93, 0.96)) == 'FAIL'
    assert gate_verdict('<=', 0.01, 0.005, (0.001, 0.009)) == 'PASS'
    assert gate_verdict('<=', 0.01, 0.005, (0.001, 0.02)) == 'PASS (point only)'
    assert gate_verdict('<=', 0.01, 0.011, (0.001, 0.02)) == 'FAIL'
    # an interval that reaches the gate exactly clears it, either way round
    assert gate_verdict('<=', 0.5, 0.25, (0.125, 0.5)) == 'PASS'
    assert gate_verdict('>=', 0.5, 0.75, (0.5, 0.875)) == 'PASS'
    assert gate_verdict('<=', 0.5, 0.4) == 'PASS' and gate_verdict('>=', 0.5, 0.4) == 'FAIL'
    assert gate_verdict('>=', 0.0, None) == 'FAIL'


def test_gates_are_inclusive_and_a_missing_key_fails():
    metric = AssistiveMetric(gates={'distance/zone_acc': ('>=', 0.75),
                                    'urgency/false_safe_rate': ['<=', 1 / 3],
                                    'no/such_key': ('>=', 0.0)})
    metric.process({}, _two_images())
    out = metric.compute_metrics(metric.results)
    gates = metric.last_report['gates']
    assert [gates[k]['passed'] for k in gates] == [True, True, False]
    assert gates['no/such_key']['value'] is None
    low, high = _wilson(3, 4)
    assert gates['distance/zone_acc'] == pytest.approx(dict(
        op='>=', threshold=0.75, value=0.75, n=4, ci_low=low, ci_high=high,
        verdict='PASS (point only)', passed=True), abs=1e-12)
    assert gates['no/such_key'] == dict(op='>=', threshold=0.0, value=None, n=None,
                                        ci_low=None, ci_high=None, verdict='FAIL',
                                        passed=False)
    assert 'no/such_key_n' not in out and out['distance/zone_acc_n'] == 4.0
    assert metric.format_report(out).endswith('  gate no/such_key >= 0.0: nan FAIL')


def test_iou_and_score_thresholds_are_the_configured_ones():
    strict = AssistiveMetric(iou_thr=0.95)  # A's g0 is found at IoU 0.906 only
    strict.process({}, _two_images())
    assert strict.compute_metrics(strict.results)['assistive/matched_objects'] == 3.0
    picky = AssistiveMetric(score_thr=0.31)  # drops A's detection at score 0.3
    picky.process({}, _two_images())
    out = picky.compute_metrics(picky.results)
    assert out['assistive/matched_objects'] == 3.0
    assert out['urgency/hazard_miss_rate'] == pytest.approx(2 / 3)


def test_no_images_gives_zeros_not_errors():
    metric = AssistiveMetric()
    out = metric.compute_metrics([])
    assert out['distance/zone_acc'] == 0.0 and out['distance/mae_m'] == 0.0
    assert out['distance/mae_m_near'] == 0.0 and out['assistive/matched_objects'] == 0.0
    assert 'distance/zone_acc_derived' not in out
    assert metric.last_report['zone_confusion'] == [[0] * 3] * 3


def test_matching_without_ground_truth_or_predictions_and_repeated_confusion_pairs():
    from maxsight.evaluation.metrics.assistive_metric import confusion
    boxes = torch.tensor([[0., 0., 10., 10.]])
    none = torch.zeros((0, 4))
    assert match_detections(boxes, torch.tensor([0]), torch.tensor([0.9]), none,
                            torch.zeros(0, dtype=torch.long)) == []
    assert match_detections(none, torch.zeros(0, dtype=torch.long), torch.zeros(0), boxes,
                            torch.tensor([0])) == []
    assert confusion([0, 0, 1, 2, 2, 2], [0, 0, 2, 2, 2, 1], 3).tolist() == [
        [2, 0, 0], [0, 0, 1], [0, 1, 2]]
    assert AssistiveMetric().last_report == {}


def test_robustness_passes_seed_zero_by_default(monkeypatch):
    from maxsight.evaluation import robustness
    seen = []

    def fake_evaluate(model, cfg, metrics, seed):
        seen.append((seed, [t.get('seed') for t in cfg['dataset']['pipeline']]))
        return {'coco/bbox_mAP': 0.25}
    monkeypatch.setattr(robustness, 'evaluate_model', fake_evaluate)
    loader = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile'),
                                         dict(type='PackDetInputs')]))
    robustness.lighting_robustness(None, loader, clean_map=0.5, corruptions=('glare',),
                                   severities=(1,))
    robustness.condition_evaluation(None, loader, clean_map=0.5, conditions=('glaucoma',))
    assert seen[0] == (0, [None, 0, None]) and seen[1][0] == 0


def test_urgency_accuracy_of_approaching_moving_and_other_clip_objects():
    """Matched: object 0 (danger -> danger, 2 m/s towards the camera), object 1 (warning ->
    safe, 0.2 m/s: not approaching), object 2 (motion unknown: in neither); object 3
    (approaching) is not detected. Moving: approaching or leaving at >= 0.5 m/s. Without
    motion in the ground truth: no such keys."""
    sample = _sample([3, 2, 0, 3], [0, 1, 2, 1], [3, 0, 1], [0, 1, 1])
    metric = AssistiveMetric()
    metric.process({}, [sample])
    assert not {'urgency/acc_approaching', 'urgency/acc_moving'} & set(
        metric.compute_metrics(metric.results))
    sample['gt_instances']['approach_m_s'] = torch.tensor([2.0, 0.2, float('nan'), 1.0])
    metric = AssistiveMetric()
    metric.process({}, [sample])
    out = metric.compute_metrics(metric.results)
    assert out['urgency/acc_approaching'] == 1.0 and out['urgency/acc_not_approaching'] == 0.0
    assert out['urgency/acc_moving'] == 1.0  # object 0 alone
    # leaving at 0.5 m/s is moving too (inclusive edge), leaving slower is not: objects 0
    # (right) and 1 (wrong) move, object 2 (wrong) is still
    sample['gt_instances']['approach_m_s'] = torch.tensor([-3.0, -0.5, -0.4999, 9.0])
    metric = AssistiveMetric()
    metric.process({}, [sample])
    out = metric.compute_metrics(metric.results)
    assert out['urgency/acc_moving'] == 0.5 and out['urgency/acc_not_approaching'] == 1 / 3
    # 0.5 m/s is the inclusive edge of approaching: objects 1 (wrong) and 2 (wrong) are
    # approaching, object 0 (right) is not
    sample['gt_instances']['approach_m_s'] = torch.tensor([0.4999, 0.5, 9.0, 9.0])
    metric = AssistiveMetric()
    metric.process({}, [sample])
    out = metric.compute_metrics(metric.results)
    assert out['urgency/acc_approaching'] == 0.0 and out['urgency/acc_not_approaching'] == 1.0
    assert out['urgency/acc_moving'] == 0.0


def test_urgency_accuracy_of_objects_whose_urgency_depends_on_context():
    """Matched: object 0 (danger -> danger), 1 (warning -> safe), 2 (safe -> caution);
    object 3 is not detected. Marked as context-dependent: 1, 2 and 3, so over the matched
    ones 0 of 2 are right; marked 0 and 1: 1 of 2. Without the field: no such keys."""
    sample = _sample([3, 2, 0, 3], [0, 1, 2, 1], [3, 0, 1], [0, 1, 1])
    metric = AssistiveMetric()
    metric.process({}, [sample])
    assert 'urgency/acc_context' not in metric.compute_metrics(metric.results)
    for flags, acc in (([False, True, True, True], 0.0), ([True, True, False, False], 0.5)):
        sample['gt_instances']['urgency_context'] = torch.tensor(flags)
        metric = AssistiveMetric()
        metric.process({}, [sample])
        out = metric.compute_metrics(metric.results)
        assert out['urgency/acc_context'] == acc and out['urgency/acc_context_n'] == 2.0
        assert out['urgency/acc'] == pytest.approx(1 / 3)  # all matched objects, unchanged


def test_false_alerts_are_the_calibrations_count():
    """Per image, shown detections called a hazard that match no true hazard: one matched
    to a safe object and one matching nothing count; a right call and a call below the
    display threshold do not. The same count as the calibration sweep's at the point where
    its decision equals the argmax (one-hot probabilities, threshold 0.5, exponent 1)."""
    from maxsight.evaluation.calibration import CalibrationImage, sweep
    long = torch.long
    gt_boxes = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]]
    a = dict(gt_instances=dict(
        bboxes=_t(gt_boxes), labels=_t([0, 0, 0], long), distance_zone=_t([0, 0, 0], long),
        distance_m=_t([2.0, 2.0, 2.0]), urgency=_t([3, 0, 2], long),
        zone_derived=_t([0, 0, 0], torch.bool), urgency_derived=_t([0, 0, 0], torch.bool)),
        pred_instances=dict(
            # right call on the danger; danger called on the safe object; a warning on
            # nothing; a danger call shown below 0.3 on the warning
            bboxes=_t([[0, 0, 10, 10], [20, 0, 30, 10], [70, 0, 80, 10], [40, 0, 50, 10]]),
            labels=_t([0, 0, 0, 0], long), scores=_t([0.9, 0.8, 0.6, 0.2]),
            distance_zone=_t([0, 0, 0, 0], long), distance_m=_t([2.0, 2.0, 2.0, 2.0]),
            urgency=_t([3, 3, 2, 3], long)))
    b = _two_images()[1]
    metric = AssistiveMetric()
    metric.process({}, [a, b])
    out = metric.compute_metrics(metric.results)
    assert out['urgency/false_alerts_per_image'] == 2 / 2
    pred = a['pred_instances']
    image = CalibrationImage(
        boxes=pred['bboxes'].numpy(), scores=pred['scores'].numpy(),
        labels=pred['labels'].numpy(), urgency_prob=np.eye(4)[pred['urgency'].numpy()],
        gt_boxes=np.array(gt_boxes, np.float32), gt_labels=np.zeros(3, np.int64),
        gt_hazard=np.array([True, False, True]))
    empty = CalibrationImage(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                             np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros((1, 4)),
                             np.zeros(1, np.int64), np.array([False]))
    point, = [p for p in sweep([image, empty], (0.5,), (1.0,), (0.3,))]
    assert point['false_alerts_per_image'] == out['urgency/false_alerts_per_image']


def test_hazards_beside_the_view_recall_and_false_alerts_by_hand():
    """Per side (left, right): image A has a hazard on the left, alerted (0.5 counts, the
    threshold is inclusive), and a false alert on the right; B has hazards on both sides,
    the right one missed (0.49); C has none and no alert; D does not say (not counted, its
    alert ignored); E says but its model has no beside output (alerts nowhere)."""
    images = _two_images() + _two_images() + [_two_images()[1]]
    labels = [([1, 0], [0.5, 0.7]), ([1, 1], [0.9, 0.49]), ([0, 0], [0.1, 0.2]),
              (None, [0.9, 0.9]), ([1, 0], None)]
    for sample, (truth, prob) in zip(images, labels):
        sample['beside_hazard'] = None if truth is None else np.array(truth, np.float32)
        if prob is not None:
            sample['pred_beside_hazard'] = prob
    metric = AssistiveMetric()
    metric.process({}, images)
    out = metric.compute_metrics(metric.results)
    assert out['urgency/beside_hazard_recall'] == pytest.approx(2 / 4)  # A left, B left
    assert out['urgency/beside_hazard_recall_n'] == 4.0
    assert out['urgency/beside_false_alerts_per_image'] == pytest.approx(1 / 4)  # A right
    metric = AssistiveMetric(beside_thr=0.45)
    metric.process({}, images)
    assert metric.compute_metrics(metric.results)['urgency/beside_hazard_recall'] == 3 / 4
    metric = AssistiveMetric()
    metric.process({}, _two_images())  # no image says: no beside figures at all
    assert not any('beside' in k for k in metric.compute_metrics(metric.results))
    with pytest.raises(ValueError, match='beside_thr'):
        AssistiveMetric(beside_thr=1.0)

"""Operating-point calibration: the sweep equals re-running the head's post-processing and
AssistiveMetric at each point; the choice, the checkpoint meta and its use."""
import os
import os.path as osp

import pytest
import torch
from mmengine.structures import InstanceData

from maxsight.evaluation.calibration import (apply_operating_point, choose,
                                             image_from_sample, sweep)
from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric, match_detections
from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
from maxsight.structures import DetDataSample


def _scene(seed=0, images=6, points=40):
    """Raw head outputs around hand-placed objects (input pixels, scale factor 0.5) and
    the matching ground-truth samples."""
    g = torch.Generator().manual_seed(seed)
    boxes, samples = [], []
    for b in range(images):
        n = 3 + b % 3
        xy = torch.rand(n, 2, generator=g) * 150
        gt = torch.cat([xy, xy + 20 + torch.rand(n, 2, generator=g) * 30], 1)
        labels = torch.randint(0, 2, (n,), generator=g)
        urgency = torch.randint(0, 4, (n,), generator=g)
        sample = DetDataSample(metainfo=dict(img_shape=(200, 200), ori_shape=(400, 400),
                                             scale_factor=(0.5, 0.5), img_id=b))
        sample.gt_instances = InstanceData(
            bboxes=gt, labels=labels, urgency=urgency, distance_m=torch.full((n,), 3.0),
            distance_zone=torch.ones(n, dtype=torch.long),
            zone_derived=torch.zeros(n, dtype=torch.bool),
            urgency_derived=torch.zeros(n, dtype=torch.bool))
        samples.append(sample)
        near = gt[torch.randint(0, n, (points,), generator=g)]
        jitter = torch.randn(points, 4, generator=g) * 4
        far = torch.rand(points, 1, generator=g) < 0.3  # some predictions land nowhere
        box = torch.where(far, torch.rand(points, 4, generator=g) * 60 + 120, near + jitter)
        boxes.append(torch.cat([box[:, :2].minimum(box[:, 2:]), box[:, :2].maximum(box[:, 2:])
                                + 1], 1))
    preds = dict(cls=torch.randn(images, points, 2, generator=g) * 2,
                 obj=torch.randn(images, points, generator=g) * 2, box=torch.stack(boxes),
                 zone=torch.randn(images, points, 3, generator=g),
                 log_dist=torch.randn(images, points, generator=g),
                 urgency=torch.randn(images, points, 4, generator=g) * 1.5,
                 scene=torch.randn(images, 4, generator=g))
    return preds, samples


def _predict(preds, samples, thr, e):
    head = MultiTaskDenseHead(num_classes=2, strides=(8,), test_cfg=dict(
        score_thr=0.05, nms_iou_thr=0.5, hazard_prob_thr=thr, hazard_score_exponent=e))
    fresh = [DetDataSample(metainfo=s.metainfo, gt_instances=s.gt_instances) for s in samples]
    return head.predict_by_preds(preds, fresh)


def _reference(predicted, disp):
    """AssistiveMetric's recall / false-safe rate; false alerts counted by hand with its
    matching."""
    metric = AssistiveMetric(score_thr=disp)
    dicts = [s.to_dict() for s in predicted]
    metric.process({}, dicts)
    out = metric.compute_metrics(metric.results)
    alerts = 0
    for s in predicted:
        pred, gt = s.pred_instances, s.gt_instances
        keep = pred.scores >= disp
        pairs = match_detections(pred.bboxes[keep], pred.labels[keep], pred.scores[keep],
                                 gt.bboxes / 0.5, gt.labels)
        urg, gt_urg = pred.urgency[keep], gt.urgency
        matched_hazard = {p for p, g in pairs if gt_urg[g] >= 2}
        alerts += sum(1 for p in range(int(keep.sum()))
                      if urg[p] >= 2 and p not in matched_hazard)
    return out['urgency/hazard_recall'], out['urgency/false_safe_rate'], alerts / len(predicted)


def test_every_swept_point_equals_post_processing_and_assistive_metric_there():
    preds, samples = _scene()
    images = [image_from_sample(s) for s in _predict(preds, samples, 0.5, 1.0)]
    thresholds, exponents, displays = (0.1, 0.3, 0.6), (1.0, 0.5), (0.05, 0.2, 0.4)
    points = sweep(images, thresholds, exponents, displays)
    assert len(points) == 18
    hazards = sum(int((s.gt_instances.urgency >= 2).sum()) for s in samples)
    assert hazards >= 8 and all(p['hazards'] == hazards and p['images'] == 6 for p in points)
    for p in points:
        ref = _reference(_predict(preds, samples, p['hazard_prob_thr'],
                                  p['hazard_score_exponent']), p['score_thr'])
        assert (p['hazard_recall'], p['false_safe_rate'],
                p['false_alerts_per_image']) == pytest.approx(ref, abs=1e-12), p
    recalls = [p['hazard_recall'] for p in points]
    assert min(recalls) < max(recalls)  # the grid spans different operating points


def test_a_detection_at_exactly_the_iou_threshold_matches_in_the_sweep_as_in_the_metric():
    """IoU 0.5 exactly (a box of half the ground truth's height) is a match in both the
    sweep's matcher and AssistiveMetric's, so the swept recall is the metric's."""
    import numpy as np
    from torchvision.ops import box_iou

    from maxsight.evaluation.calibration import _greedy
    gt, half = torch.tensor([[0.0, 0.0, 10.0, 10.0]]), torch.tensor([[0.0, 0.0, 10.0, 5.0]])
    ious = box_iou(half, gt).numpy()
    assert ious[0, 0] == 0.5
    assert _greedy(np.array([0]), ious, 0.5).tolist() == [0]
    assert match_detections(half, torch.tensor([1]), torch.tensor([0.9]), gt,
                            torch.tensor([1])) == [(0, 0)]
    assert _greedy(np.array([0]), ious, 0.51).tolist() == [-1]


def test_the_plotted_lines_are_each_exponents_points_at_the_chosen_display_threshold():
    from maxsight.evaluation.calibration import curve_lines
    pts = [dict(hazard_score_exponent=e, score_thr=d, hazard_prob_thr=t,
                false_alerts_per_image=a, hazard_recall=r)
           for e, d, t, a, r in ((1.0, 0.3, 0.2, 0.8, 0.90), (1.0, 0.3, 0.1, 1.5, 0.96),
                                 (0.5, 0.3, 0.1, 2.0, 0.97), (1.0, 0.4, 0.1, 1.0, 0.93),
                                 (0.5, 0.3, 0.2, 1.1, 0.94))]
    assert curve_lines(pts, 0.3) == {1.0: [(0.8, 0.90), (1.5, 0.96)],
                                     0.5: [(1.1, 0.94), (2.0, 0.97)]}
    assert curve_lines(pts, 0.4) == {1.0: [(1.0, 0.93)], 0.5: []}


def test_choice_meets_the_target_with_fewest_false_alerts_or_says_it_cannot():
    pts = [dict(hazard_prob_thr=t, hazard_score_exponent=1.0, score_thr=d, hazard_recall=r,
                false_alerts_per_image=a, false_safe_rate=0.0, hazards_found=round(r * 40),
                hazards=40, images=10)
           for t, d, r, a in ((0.1, 0.3, 0.975, 2.0), (0.2, 0.3, 0.95, 1.2),
                              (0.3, 0.3, 0.925, 0.5), (0.2, 0.4, 0.95, 1.2))]
    op = choose(pts, 0.95)
    assert (op['hazard_prob_thr'], op['score_thr'], op['meets_target']) == (0.2, 0.4, True)
    assert (op['hazard_recall_ci_low'], op['hazard_recall_ci_high']) == pytest.approx(
        (0.8350, 0.9862), abs=5e-5)  # Wilson, 38 of 40
    none = choose(pts, 0.99)
    assert (none['hazard_prob_thr'], none['meets_target']) == (0.1, False)


def test_applied_operating_point_reaches_the_head_and_the_display():
    from ..helpers import tiny_model
    model = tiny_model()
    assert not apply_operating_point(model, None)
    assert apply_operating_point(model, dict(hazard_prob_thr=0.35, hazard_score_exponent=0.7,
                                             score_thr=0.25))
    assert model.bbox_head.test_cfg['hazard_prob_thr'] == 0.35
    assert model.bbox_head.test_cfg['hazard_score_exponent'] == 0.7
    assert model.display_score_thr == 0.25


def test_calibration_needs_the_heads_extra_fields():
    s = DetDataSample(metainfo=dict(img_shape=(4, 4)))
    s.pred_instances = InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0))
    s.gt_instances = InstanceData(bboxes=torch.zeros(0, 4))
    with pytest.raises(ValueError, match='raw_scores and .urgency_prob'):
        image_from_sample(s)


def test_calibration_prepares_the_val_split_it_reads_not_the_test_split(tmp_path):
    """tools/calibrate.py validates on val: its runner prepares the embedded val split
    (here missing, so generated; a stale one takes the same path), and leaves the held-out
    test split alone even when the config's test loader reads another file (as a
    tier-ladder run's saved config does)."""
    from maxsight.engine.runner import prepare_run_config
    from maxsight.evaluation.calibration_run import configure_calibration
    from maxsight.utils import load_config
    root = str(tmp_path / 'data')
    ckpt = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict={}), ckpt)
    options = {'embedded_dataset.root': root, 'embedded_dataset.num_train': 2,
               'embedded_dataset.num_val': 2, 'embedded_dataset.num_test': 2}
    for split in ('train', 'val', 'test'):
        options[f'{split}_dataloader.dataset.data_root'] = root
    options['test_dataloader.dataset.ann_file'] = 'annotations/test.json'
    cfg = load_config('configs/t2_default.py', options, str(tmp_path / 'work'))
    cfg.experiment_name = 'calibration_prepares_val'
    prepare_run_config(configure_calibration(cfg, ckpt, 0.95))
    assert sorted(os.listdir(osp.join(root, 'annotations'))) == ['val.json']


def test_the_recall_target_is_a_fraction_strictly_between_0_and_1():
    """0 is met by calling nothing a hazard and 1 only by calling everything."""
    from maxsight.engine.hooks.operating_point_hook import OperatingPointHook
    for bad in (0.0, 1.0, 1.2):
        with pytest.raises(ValueError, match=r'recall_target must be in \(0, 1\)'):
            OperatingPointHook(recall_target=bad)
    assert OperatingPointHook(recall_target=0.5).recall_target == 0.5


def test_the_calibrate_tool_refuses_a_target_of_0_or_1(tmp_path):
    from mmengine.config import Config

    from maxsight.evaluation.calibration_run import configure_calibration
    ckpt = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict={}), ckpt)
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match=r'--target must be in \(0, 1\)'):
            configure_calibration(Config(dict(val_dataloader=dict(), val_evaluator=[])),
                                  ckpt, bad)

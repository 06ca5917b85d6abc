import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from maxsight.registry import MODELS
from maxsight.structures import DetDataSample

from ..helpers import synthetic_batch, tiny_model

CFG = Config.fromfile('tests/configs/tiny_t2.py')


def test_losses_finite_and_decrease_with_training():
    model = tiny_model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    totals = []
    for _ in range(15):
        data = model.data_preprocessor(synthetic_batch(), training=True)
        losses = model(**data, mode='loss')
        assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_giou', 'loss_obj', 'loss_zone',
                               'loss_distance', 'loss_urgency', 'loss_scene'}
        total = sum(losses.values())
        assert torch.isfinite(total)
        opt.zero_grad()
        total.backward()
        opt.step()
        totals.append(total.item())
    assert totals[-1] < 0.7 * totals[0]


def test_predict_caps_detections_and_rescales_to_original():
    model = tiny_model().eval()
    data = model.data_preprocessor(synthetic_batch(), training=False)
    assert tuple(data['inputs'].shape) == (2, 3, 96, 128)
    with torch.no_grad():
        out = model(**data, mode='predict')
    for sample in out:
        pred = sample.pred_instances
        assert len(pred) == 100  # 3 classes x 252 locations > 100
        assert pred.bboxes[:, 2].max() <= 256 and pred.bboxes[:, 3].max() <= 192
        assert (pred.scores[:-1] >= pred.scores[1:]).all()
        assert pred.distance_zone.max() <= 2 and pred.urgency.max() <= 3
        assert 0 <= sample.metainfo['pred_scene_urgency'] <= 3


def test_encoder_changes_output_and_gets_gradient():
    model = tiny_model()
    data = model.data_preprocessor(synthetic_batch(), training=True)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    grads = [p.grad for p in model.encoder.parameters() if p.grad is not None]
    assert grads and sum(g.abs().sum() for g in grads) > 0
    model.eval()
    with torch.no_grad():
        before = model(data['inputs'])['cls'].clone()
        for p in model.encoder.encoder.parameters():
            p.add_(0.1)
        after = model(data['inputs'])['cls']
    assert not torch.allclose(before, after)


def _losses(model, urgency):
    batch = synthetic_batch()
    for s in batch['data_samples']:
        s.gt_instances.urgency = torch.tensor([urgency])
    data = model.data_preprocessor(batch, training=True)
    return model(**data, mode='loss')


def test_hazard_loss_weight_scales_box_losses_of_hazards_only():
    base, weighted = tiny_model(), tiny_model()
    base.bbox_head.hazard_loss_weight = 1.0
    weighted.bbox_head.hazard_loss_weight = 3.0
    for urgency, factor in ((2, 3.0), (3, 3.0), (1, 1.0)):
        ref, out = _losses(base, urgency), _losses(weighted, urgency)
        for key in ('loss_bbox', 'loss_giou'):
            assert torch.allclose(out[key], factor * ref[key], rtol=1e-6), (urgency, key)
        assert torch.equal(out['loss_zone'], ref['loss_zone'])
        if factor == 1.0:
            assert torch.equal(out['loss_cls'], ref['loss_cls'])
        else:  # positives weigh 3x, negatives 1x
            assert ref['loss_cls'] < out['loss_cls'] < 3 * ref['loss_cls']


def test_hazard_matches_per_gt_gives_hazards_more_positives():
    """hazard_matches_per_gt=6: a hazard (urgency >= 2) gets 6 matched predictions per
    step, any other object the matcher's num_matches_per_gt."""
    model = tiny_model()
    k = model.bbox_head.matcher.num_matches_per_gt
    model.bbox_head.hazard_matches_per_gt = 6
    counts = []
    match = model.bbox_head.matcher.match

    def spy(*args, **kwargs):
        p_idx, g_idx = match(*args, **kwargs)
        counts.append(len(g_idx))
        return p_idx, g_idx

    model.bbox_head.matcher.match = spy
    for urgency, expected in ((2, 6), (3, 6), (1, k), (0, k)):
        counts.clear()
        _losses(model, urgency)
        assert counts == [expected, expected], urgency
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match='hazard_matches_per_gt'):
            MultiTaskDenseHead(num_classes=3, hazard_matches_per_gt=bad,
                               test_cfg=dict(nms_iou_thr=0.6))
    with pytest.raises(ValueError, match='nms_iou_thr'):
        MultiTaskDenseHead(num_classes=3, hazard_matches_per_gt=2,
                           matcher=dict(type='HungarianMatcher'),
                           test_cfg=dict(nms_iou_thr=None))


def test_urgency_decision_cost_sensitive_rule():
    from maxsight.models.heads.multitask_dense_head import urgency_decision
    prob = torch.tensor([[0.50, 0.10, 0.25, 0.15],   # P(hazard) 0.40
                         [0.10, 0.60, 0.05, 0.25],   # 0.30
                         [0.05, 0.05, 0.20, 0.70],   # 0.90
                         [0.20, 0.60, 0.18, 0.02]])  # 0.20
    logits = prob.log()
    assert urgency_decision(logits).tolist() == [0, 1, 3, 1]
    assert urgency_decision(logits, 0.35).tolist() == [2, 1, 3, 1]
    assert urgency_decision(logits, 0.29).tolist() == [2, 3, 3, 1]
    assert urgency_decision(logits, 0.2).tolist() == [2, 3, 3, 2]


def test_channels_last_same_parameters_and_outputs():
    plain = tiny_model()
    cfg = CFG.model.copy()
    cfg.bbox_head = dict(cfg.bbox_head, num_classes=3)
    cfg.channels_last = True
    torch.manual_seed(0)
    fast = MODELS.build(cfg)
    fast.init_weights()
    assert fast.bbox_head.cls_out.weight.is_contiguous(memory_format=torch.channels_last)
    assert list(fast.state_dict()) == list(plain.state_dict())
    fast.load_state_dict(plain.state_dict())
    assert fast.bbox_head.cls_out.weight.is_contiguous(memory_format=torch.channels_last)
    plain.eval(), fast.eval()
    data = plain.data_preprocessor(synthetic_batch(), training=False)
    with torch.no_grad():
        a = plain(**data, mode='tensor')
        b = fast(**data, mode='tensor')
    for key in a:
        if torch.is_tensor(a[key]) and a[key].is_floating_point():
            assert torch.allclose(a[key], b[key], atol=1e-4, rtol=1e-4), key


def test_score_weighs_class_probability_against_predicted_iou():
    """score = P(class)^(1 - q) x P(obj)^q: q = 0.25 ranks a confident class with a low IoU
    estimate (an occluded object) above a weaker class with a better estimate; 0.5 does
    not. Hand-computed values."""
    import pytest

    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    logit = torch.logit
    preds = dict(cls=logit(torch.tensor([[[0.8, 1e-5], [0.5, 1e-5]]])),
                 obj=logit(torch.tensor([[0.2, 0.6]])),
                 box=torch.tensor([[[0., 0., 10., 10.], [20., 20., 30., 30.]]]),
                 zone=torch.zeros(1, 2, 3), log_dist=torch.zeros(1, 2),
                 urgency=torch.zeros(1, 2, 4), scene=torch.zeros(1, 4))
    ranked = {}
    for q in (0.25, 0.5):
        head = MultiTaskDenseHead(num_classes=2, test_cfg=dict(
            max_per_img=2, score_thr=0.0, obj_score_exponent=q, hazard_prob_thr=None,
            hazard_score_exponent=1.0))
        sample = DetDataSample(metainfo=dict(img_shape=(40, 40)))
        pred = head.predict_by_preds(preds, [sample])[0].pred_instances
        ranked[q] = (pred.bboxes[:, 0].tolist(), pred.scores.tolist())
    assert ranked[0.25][0] == [0.0, 20.0]
    assert ranked[0.25][1] == pytest.approx([0.8 ** 0.75 * 0.2 ** 0.25,
                                             0.5 ** 0.75 * 0.6 ** 0.25], rel=1e-5)
    assert ranked[0.5][0] == [20.0, 0.0]
    assert ranked[0.5][1] == pytest.approx([0.3 ** 0.5, 0.16 ** 0.5], rel=1e-5)
    with pytest.raises(ValueError, match='obj_score_exponent must be in'):
        MultiTaskDenseHead(num_classes=2, test_cfg=dict(obj_score_exponent=1.5))


def test_hazard_scores_are_raised_and_re_ranked():
    """A detection reported as a hazard (urgency >= 2) is scored score^e: with e = 0.5 the
    hazard (0.25 -> 0.5) moves above the harmless object (0.4); e = 1 changes nothing.
    Hand-computed values."""
    import pytest

    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    logit = torch.logit
    big = 10.0  # softmax puts all mass on one urgency level
    preds = dict(cls=logit(torch.tensor([[[0.4, 1e-5], [0.25, 1e-5], [1e-5, 0.2]]])),
                 obj=torch.full((1, 3), 50.0),
                 box=torch.tensor([[[0., 0., 10., 10.], [20., 20., 30., 30.],
                                    [0., 20., 10., 30.]]]),
                 zone=torch.zeros(1, 3, 3), log_dist=torch.zeros(1, 3),
                 urgency=torch.tensor([[[big, 0., 0., 0.], [0., 0., big, 0.],
                                        [0., big, 0., 0.]]]),
                 scene=torch.zeros(1, 4))
    out = {}
    for e in (1.0, 0.5):
        head = MultiTaskDenseHead(num_classes=2, test_cfg=dict(
            max_per_img=3, score_thr=0.0, obj_score_exponent=0.0, hazard_score_exponent=e,
            hazard_prob_thr=None))
        sample = DetDataSample(metainfo=dict(img_shape=(40, 40)))
        pred = head.predict_by_preds(preds, [sample])[0].pred_instances
        out[e] = pred
    assert out[1.0].scores.tolist() == pytest.approx([0.4, 0.25, 0.2], rel=1e-4)
    assert out[1.0].urgency.tolist() == [0, 2, 1]
    assert out[0.5].scores.tolist() == pytest.approx([0.5, 0.4, 0.2], rel=1e-4)
    assert out[0.5].urgency.tolist() == [2, 0, 1]  # every field moves with its score
    assert out[0.5].bboxes[:, 0].tolist() == [20.0, 0.0, 0.0]
    assert out[0.5].labels.tolist() == [0, 0, 1]
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match='hazard_score_exponent must be in'):
            MultiTaskDenseHead(num_classes=2, test_cfg=dict(hazard_score_exponent=bad))


def _crowded_preds(num_objects: int = 60, copies: int = 4, background: int = 160):
    """Head outputs for one 320x200 image with ``num_objects`` separate 20x20 objects on a
    grid, each predicted ``copies`` times (one-to-4 matching's near-copies, IoU > 0.8 among
    them) with class probability 0.9 - 0.004 j - 0.001 c for copy c of object j, plus
    ``background`` points at 0.01: every copy of object j scores above object j + 1's, so
    a cut before NMS keeps the copies of the first objects only."""
    boxes, probs = [], []
    for j in range(num_objects):
        x, y = 30.0 * (j % 10), 30.0 * (j // 10)
        for c in range(copies):
            boxes.append([x + c * 0.5, y, x + 20 + c * 0.5, y + 20])
            probs.append(0.9 - 0.004 * j - 0.001 * c)
    boxes += [[0., 0., 5., 5.]] * background
    probs += [0.01] * background
    n = len(boxes)
    cls = torch.full((1, n, 2), -20.0)
    cls[0, :, 1] = torch.logit(torch.tensor(probs))
    return dict(cls=cls, obj=torch.full((1, n), 20.0), box=torch.tensor([boxes]),
                zone=torch.zeros(1, n, 3), log_dist=torch.zeros(1, n),
                urgency=torch.zeros(1, n, 4), scene=torch.zeros(1, 4))


def _crowded_detections(**test_cfg):
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    cfg = dict(obj_score_exponent=0.0, hazard_prob_thr=None, hazard_score_exponent=1.0)
    head = MultiTaskDenseHead(num_classes=2, test_cfg=dict(cfg, **test_cfg))
    sample = DetDataSample(metainfo=dict(img_shape=(200, 320)))
    return head.predict_by_preds(_crowded_preds(), [sample])[0].pred_instances


def test_a_crowded_image_keeps_every_object_nms_before_max_per_img():
    """Score threshold, nms_pre, class-wise NMS, then max_per_img (mmdetection's order):
    60 objects x 4 copies keep all 60, each its best copy; a top-100 cut before NMS would
    keep the copies of 25 objects."""
    pred = _crowded_detections()  # the defaults: nms_pre 1000, max_per_img 100
    assert len(pred) == 60
    assert pred.bboxes[:, :2].tolist() == [[30.0 * (j % 10), 30.0 * (j // 10)]
                                           for j in range(60)]
    assert torch.allclose(pred.scores, 0.9 - 0.004 * torch.arange(60.0))
    assert (pred.labels == 1).all()
    # max_per_img cuts after NMS: the 50 best objects
    assert len(_crowded_detections(max_per_img=50)) == 50
    # nms_pre bounds the candidates before NMS: 100 candidates are 25 objects' copies
    assert len(_crowded_detections(nms_pre=100)) == 25
    # the score threshold: objects 0..24 score above 0.801
    assert len(_crowded_detections(score_thr=0.801)) == 25


def test_fpn_top_down_adds_every_coarser_level_by_hand():
    """With identity laterals and outputs, FPN level i is its lateral plus the nearest
    upsampling of level i + 1 after that level's own sum: P3 = L3, P2 = L2 + up(P3),
    P1 = L1 + up(P2) (a top-down loop that skipped the coarsest level would give P2 = L2)."""
    from torch import nn

    from maxsight.models.necks.fpn import FPN
    fpn = FPN([2, 2, 2], out_channels=2)
    with torch.no_grad():
        for conv in fpn.lateral:
            conv.weight.copy_(torch.eye(2)[:, :, None, None])
            conv.bias.zero_()
    fpn.output = nn.ModuleList(nn.Identity() for _ in range(3))
    torch.manual_seed(0)
    feats = [torch.randn(1, 2, 8, 8), torch.randn(1, 2, 4, 4), torch.randn(1, 2, 2, 2)]
    p1, p2, p3 = fpn(feats)
    up = lambda x: x.repeat_interleave(2, -1).repeat_interleave(2, -2)  # noqa: E731
    assert torch.equal(p3, feats[2])
    assert torch.allclose(p2, feats[1] + up(feats[2]))
    assert torch.allclose(p1, feats[0] + up(feats[1] + up(feats[2])))

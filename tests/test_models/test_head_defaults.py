"""The head's constructor defaults are the base config's, and get_targets is the
assignment the losses use."""
import inspect

import pytest
import torch
from mmengine.config import Config

from maxsight.models.heads.multitask_dense_head import DEFAULT_TEST_CFG, MultiTaskDenseHead

from ..helpers import synthetic_batch, tiny_model


def test_constructor_defaults_equal_the_base_config():
    base = Config.fromfile('configs/_base_/models/maxsight_t0.py').model.bbox_head.to_dict()
    params = inspect.signature(MultiTaskDenseHead.__init__).parameters
    compared = 0
    for key, value in base.items():
        if key in ('type', 'num_classes'):
            continue
        default = DEFAULT_TEST_CFG if key == 'test_cfg' else params[key].default
        assert default == value, key
        compared += 1
    assert compared == 15  # every argument the base config states
    head = MultiTaskDenseHead(num_classes=2)
    assert head.test_cfg == base['test_cfg']
    assert head.matcher.num_matches_per_gt == 4 and head.hazard_loss_weight == 3.0


def test_get_targets_marks_each_matched_prediction_once_per_ground_truth_match():
    model = tiny_model()
    data = model.data_preprocessor(synthetic_batch(), training=True)
    head = model.bbox_head
    preds = head(model.extract_feat(data['inputs'], data['data_samples']))
    t = head.get_targets(preds, data['data_samples'])
    k = head.matcher.num_matches_per_gt
    assert t['pos_index'].numel() == 2 * k  # one object per image, k matches each
    assert t['pos_batch'].tolist() == [0] * k + [1] * k
    assert torch.equal(t['cls_target'].sum(), torch.tensor(2.0 * k))
    assert t['gt_labels'].tolist() == [0] * k + [1] * k
    # the object is a hazard (urgency 2): its positives weigh hazard_loss_weight
    assert torch.equal(t['pos_weight'], torch.full((2 * k,), head.hazard_loss_weight))
    assert t['num_pos'] == 2.0 * k
    assert torch.equal(t['norm'][0], torch.tensor([128., 96., 128., 96.]))
    assert bool(t['valid'].all())  # no ignore regions


def test_anchor_points_are_cell_centres_per_level_and_cached_per_shape():
    head = MultiTaskDenseHead(num_classes=2, strides=(8, 16))
    pts, strides = head.anchor_points([(2, 3), (1, 2)], torch.device('cpu'))
    assert pts.tolist() == [[4., 4.], [12., 4.], [20., 4.], [4., 12.], [12., 12.], [20., 12.],
                            [8., 8.], [24., 8.]]
    assert strides.tolist() == [8.] * 6 + [16.] * 2
    other, _ = head.anchor_points([(1, 1), (1, 1)], torch.device('cpu'))
    assert other.tolist() == [[4., 4.], [8., 8.]]  # another shape, not the cached one


class _FixedMatcher:
    """Returns the given (prediction, ground truth) pairs; records what it was asked."""
    num_matches_per_gt = 2

    def __init__(self, pairs):
        self.pairs, self.calls = pairs, []

    def match(self, cls, boxes, labels, gt_boxes, img_hw, points, matches_per_gt=None):
        self.calls.append(dict(img_hw=img_hw, points=points, matches_per_gt=matches_per_gt))
        p, g = self.pairs
        return torch.tensor(p, dtype=torch.long), torch.tensor(g, dtype=torch.long)


def test_get_targets_ignore_regions_condition_priority_and_hazard_weight():
    """Hand-built: 2x3 points at stride 8 (x 4, 12, 20; y 4, 12) in a 16x24 image, one
    ignore region [10, 0, 20, 4] (edges inclusive: it holds the points (12, 4) and (20, 4)),
    two objects matched to points 1 (inside the region: stays valid) and 3."""
    from mmengine.structures import InstanceData

    from maxsight.models.layers.condition_film import spatial_priority
    from maxsight.structures import DetDataSample
    head = MultiTaskDenseHead(num_classes=3, strides=(8,), hazard_loss_weight=3.0,
                              hazard_matches_per_gt=5)
    head.matcher = _FixedMatcher(([1, 3], [1, 0]))
    points, _ = head.anchor_points([(2, 3)], torch.device('cpu'))
    preds = dict(cls=torch.zeros(1, 6, 3), box=torch.zeros(1, 6, 4), obj=torch.zeros(1, 6),
                 points=points)
    sample = DetDataSample(metainfo=dict(img_shape=(16, 24), condition='amd'))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[0., 8., 8., 16.], [12., 0., 20., 8.]]),
        labels=torch.tensor([2, 0]), distance_m=torch.tensor([1.5, 7.0]),
        distance_zone=torch.tensor([0, 2]), urgency=torch.tensor([3, 1]))
    sample.ignored_instances = InstanceData(bboxes=torch.tensor([[10., 0., 20., 4.]]),
                                            labels=torch.tensor([0]))
    t = head.get_targets(preds, [sample])
    assert t['valid'].tolist() == [[True, True, False, True, True, True]]
    assert t['pos_index'].tolist() == [1, 3] and t['pos_batch'].tolist() == [0, 0]
    target = torch.zeros(1, 6, 3)
    target[0, 1, 0] = target[0, 3, 2] = 1.0
    assert torch.equal(t['cls_target'], target)
    assert t['gt_labels'].tolist() == [0, 2] and t['gt_urgency'].tolist() == [1, 3]
    assert t['gt_distance_m'].tolist() == [7.0, 1.5]
    assert t['norm'].tolist() == [[24., 16., 24., 16.]] * 2
    # priority of each box centre under AMD ((16, 4) and (4, 12) over 24 x 16), the hazard's
    # (urgency 3) times 3
    prio = spatial_priority('amd', torch.tensor([16 / 24, 4 / 24]), torch.tensor([4 / 16,
                                                                                   12 / 16]))
    assert not torch.allclose(prio, torch.ones(2))  # AMD weighs positions differently
    assert torch.allclose(t['pos_weight'], prio * torch.tensor([1.0, 3.0]))
    weight = torch.ones(1, 6)
    weight[0, [1, 3]] = t['pos_weight']
    assert torch.equal(t['cls_weight'], weight) and t['num_pos'] == 2.0
    call = head.matcher.calls[0]
    assert call['img_hw'] == (16, 24) and call['points'] is points
    # hazards (urgency >= 2) get hazard_matches_per_gt, the others the matcher's k
    assert call['matches_per_gt'].tolist() == [5, 2]
    del _FixedMatcher.num_matches_per_gt  # a matcher without k: one match per object
    try:
        head.get_targets(preds, [sample])
        assert head.matcher.calls[1]['matches_per_gt'].tolist() == [5, 1]
    finally:
        _FixedMatcher.num_matches_per_gt = 2
    empty = DetDataSample(metainfo=dict(img_shape=(16, 24)))
    empty.gt_instances = sample.gt_instances
    head.matcher = _FixedMatcher(([], []))
    t = head.get_targets(preds, [empty])
    assert bool(t['valid'].all()) and t['num_pos'] == 1.0  # at least 1: no division by 0


def test_every_loss_equals_its_reference_on_the_hand_built_targets():
    """loss_by_preds wiring, against torchvision / torch references on the hand-built case
    above: each loss' inputs, weights and normaliser (the positive count)."""
    import torch.nn.functional as F
    from mmengine.structures import InstanceData
    from torchvision.ops import box_iou, generalized_box_iou_loss, sigmoid_focal_loss

    from maxsight.structures import DetDataSample
    g = torch.Generator().manual_seed(0)
    head = MultiTaskDenseHead(num_classes=3, strides=(8,), hazard_loss_weight=3.0)
    head.matcher = _FixedMatcher(([1, 3], [1, 0]))
    points, _ = head.anchor_points([(2, 3)], torch.device('cpu'))
    xy = torch.rand(1, 6, 2, generator=g) * 10
    preds = dict(cls=torch.randn(1, 6, 3, generator=g),
                 box=torch.cat([xy, xy + 4 + torch.rand(1, 6, 2, generator=g) * 8], -1),
                 obj=torch.randn(1, 6, generator=g), zone=torch.randn(1, 6, 3, generator=g),
                 log_dist=torch.randn(1, 6, generator=g),
                 urgency=torch.randn(1, 6, 4, generator=g),
                 scene=torch.randn(1, 4, generator=g), points=points)
    sample = DetDataSample(metainfo=dict(img_shape=(16, 24)))
    gt = torch.tensor([[0., 8., 8., 16.], [12., 0., 20., 8.]])
    sample.gt_instances = InstanceData(
        bboxes=gt, labels=torch.tensor([2, 0]), distance_m=torch.tensor([0.05, 7.0]),
        distance_zone=torch.tensor([0, 2]), urgency=torch.tensor([3, 1]))
    sample.ignored_instances = InstanceData(bboxes=torch.tensor([[10., 0., 20., 4.]]),
                                            labels=torch.tensor([0]))
    losses = head.loss_by_preds(preds, [sample])
    pos = [1, 3]
    valid = torch.tensor([True, True, False, True, True, True])
    target = torch.zeros(6, 3)
    target[1, 0] = target[3, 2] = 1.0
    w = torch.tensor([1.0, 3.0])  # the hazard (urgency 3) weighs 3; no condition
    cls_w = torch.ones(6)
    cls_w[pos] = w
    n = 2.0
    ref_cls = (sigmoid_focal_loss(preds['cls'][0], target, alpha=0.5, gamma=2.0,
                                  reduction='none') * cls_w[:, None])[valid].sum() / n * 2.0
    boxes, gts = preds['box'][0, pos], gt[[1, 0]]
    norm = torch.tensor([24., 16., 24., 16.])
    ref_bbox = ((boxes / norm - gts / norm).abs() * w[:, None]).sum() / n * 5.0
    ref_giou = (generalized_box_iou_loss(boxes, gts) * w).sum() / n * 2.0
    iou = torch.zeros(6)
    iou[pos] = box_iou(boxes, gts).diagonal().clamp(min=0)
    sig = preds['obj'][0].sigmoid()
    qfl = F.binary_cross_entropy_with_logits(preds['obj'][0], iou, reduction='none') * \
        (sig - iou).abs().pow(2.0)
    ref_obj = qfl[valid].sum() / n * 1.0
    ref_zone = F.cross_entropy(preds['zone'][0, pos], torch.tensor([2, 0])) * 0.5
    log_d = torch.tensor([7.0, 0.1]).log()  # 0.05 m is clipped to 0.1 m
    ref_dist = (preds['log_dist'][0, pos] - log_d).abs().mean() * 0.5
    ref_urg = F.cross_entropy(preds['urgency'][0, pos], torch.tensor([1, 3])) * 0.5
    ref_scene = F.cross_entropy(preds['scene'], torch.tensor([3])) * 0.2  # the max urgency
    refs = dict(loss_cls=ref_cls, loss_bbox=ref_bbox, loss_giou=ref_giou, loss_obj=ref_obj,
                loss_zone=ref_zone, loss_distance=ref_dist, loss_urgency=ref_urg,
                loss_scene=ref_scene)
    assert losses.keys() == refs.keys()
    for key, ref in refs.items():
        assert torch.allclose(losses[key], ref, rtol=1e-5, atol=1e-7), (key, losses[key], ref)
    sample.set_metainfo(dict(scene_urgency=1))  # an annotated scene urgency wins
    scene = head.loss_by_preds(preds, [sample])['loss_scene']
    assert torch.allclose(scene, F.cross_entropy(preds['scene'], torch.tensor([1])) * 0.2)


def test_forward_decodes_boxes_from_points_and_initialises_as_documented():
    """box = (x - e^l s, y - e^t s, x + e^r s, y + e^b s) around each anchor point, raw
    distances clamped at 8; class / objectness biases give the prior 0.01, distances start
    at 5 m; the scene logits read the coarsest level's mean."""
    import math
    torch.manual_seed(0)
    head = MultiTaskDenseHead(num_classes=2, in_channels=8, feat_channels=8, strides=(8, 16))
    assert torch.allclose(head.cls_out.bias, torch.full((2,), math.log(0.01 / 0.99)))
    assert torch.allclose(head.obj_out.bias, torch.full((1,), math.log(0.01 / 0.99)))
    assert torch.allclose(head.dist_out.bias, torch.full((1,), math.log(5.0)))
    assert float(head.box_out.bias.abs().max()) == 0.0
    assert 0.002 < float(head.box_out.weight.std()) < 0.02  # N(0, 0.01)
    feats = [torch.randn(1, 8, 2, 3), torch.randn(1, 8, 1, 2)]
    raw = {}
    head.box_out.register_forward_hook(lambda m, i, o: raw.setdefault(len(raw), o))
    with torch.no_grad():
        head.box_out.bias.fill_(9.0)  # beyond the clamp on level 1 ...
        preds = head(feats)
    ltrb = torch.cat([raw[i].flatten(2).transpose(1, 2) for i in (0, 1)], 1)[0]
    ltrb = ltrb.clamp(max=8.0).exp() * torch.tensor([8.] * 6 + [16.] * 2)[:, None]
    pts = preds['points']
    assert torch.allclose(preds['box'][0], torch.cat([pts - ltrb[:, :2], pts + ltrb[:, 2:]],
                                                     1))
    assert torch.allclose(preds['box'][0, 0, 2] - pts[0, 0], torch.tensor(math.exp(8) * 8))
    expected_scene = head.scene_out(feats[-1].mean(dim=(2, 3)))
    assert torch.allclose(preds['scene'], expected_scene)
    with pytest.raises(ValueError, match='got 1 levels but strides'):
        head(feats[:1])

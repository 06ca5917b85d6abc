"""The head's constructor defaults are the base config's, and get_targets is the
assignment the losses use."""
import inspect

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

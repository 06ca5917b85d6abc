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

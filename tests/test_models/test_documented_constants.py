"""Documented defaults and the edge cases the mutation run found unpinned: each test names
the bug it catches."""
import inspect
import math
import time

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from .test_balancers import TwoTask, _data


def _defaults(fn):
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


def test_documented_defaults_of_losses_balancers_and_heads():
    """docs/model.md and docs/training.md state these values; a changed default changes
    every config that leaves the argument out."""
    from maxsight.models.balancers import GradNorm, PCGrad, UncertaintyWeighting
    from maxsight.models.heads.cross_task_head import CrossTaskDenseHead
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    from maxsight.models.losses.focal_loss import FocalLoss, QualityFocalLoss
    assert _defaults(FocalLoss.__init__) == dict(alpha=0.25, gamma=2.0, loss_weight=1.0)
    assert _defaults(QualityFocalLoss.__init__) == dict(beta=2.0, loss_weight=1.0)
    assert {k: v for k, v in _defaults(GradNorm.__init__).items()
            if k in ('alpha', 'lr', 'update_interval')} == dict(alpha=1.5, lr=0.025,
                                                                 update_interval=1)
    assert _defaults(PCGrad.__init__)['seed'] == 0
    assert _defaults(UncertaintyWeighting.__init__)['init_log_var'] == 0.0
    assert _defaults(CrossTaskDenseHead.__init__)['answer_channels'] == 64
    head = _defaults(MultiTaskDenseHead.__init__)
    assert (head['in_channels'], head['feat_channels'], head['stacked_convs'],
            tuple(head['strides'])) == (64, 64, 2, (8, 16, 32))


def test_urgency_decision_normalises_over_levels_and_keeps_non_hazards_below_warning():
    """softmax over the 4 levels of each row (not over the rows); a row below the hazard
    threshold is safe or caution even when warning is its single most likely level."""
    from maxsight.models.heads.multitask_dense_head import urgency_decision
    prob = torch.tensor([[0.30, 0.10, 0.35, 0.25],   # P(hazard) 0.60, warning most likely
                         [0.70, 0.10, 0.10, 0.10],
                         [0.10, 0.10, 0.10, 0.70]])
    logits = prob.log() + torch.tensor([[3.0], [-2.0], [0.5]])  # per-row shifts: no effect
    assert urgency_decision(logits, 0.7).tolist() == [0, 0, 3]
    assert urgency_decision(logits, 0.6).tolist() == [2, 0, 3]
    assert urgency_decision(logits).tolist() == [2, 0, 3]


def _one_detection_result(urgency: int):
    from mmengine.structures import InstanceData
    return InstanceData(bboxes=torch.tensor([[0., 0., 4., 4.]]), scores=torch.tensor([0.25]),
                        labels=torch.tensor([0]), urgency=torch.tensor([urgency]))


def test_hazard_score_exponent_applies_to_a_single_detection():
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    head = MultiTaskDenseHead(num_classes=2, test_cfg=dict(hazard_score_exponent=0.5))
    assert head._raise_hazard_scores(_one_detection_result(2)).scores.tolist() == [0.5]
    assert head._raise_hazard_scores(_one_detection_result(1)).scores.tolist() == [0.25]


def test_hazard_prob_thr_outside_the_open_unit_interval_is_refused():
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match='hazard_prob_thr must be in'):
            MultiTaskDenseHead(num_classes=2, test_cfg=dict(hazard_prob_thr=bad))
    MultiTaskDenseHead(num_classes=2, test_cfg=dict(hazard_prob_thr=None))


def test_towers_take_the_input_width_first_and_have_no_conv_bias():
    """The first conv of each tower reads in_channels (not feat_channels); the convs are
    bias-free (GroupNorm follows)."""
    from torch import nn

    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    head = MultiTaskDenseHead(num_classes=2, in_channels=8, feat_channels=16,
                              stacked_convs=3, strides=(8,))
    for tower in (head.cls_tower, head.reg_tower):
        convs = [m for m in tower if isinstance(m, nn.Conv2d)]
        assert [(c.in_channels, c.out_channels) for c in convs] == [(8, 16), (16, 16),
                                                                     (16, 16)]
        assert all(c.bias is None for c in convs)
    preds = head([torch.randn(1, 8, 4, 4)])
    assert preds['cls'].shape == (1, 16, 2)


def test_cross_task_urgency_adds_the_answer_mlp_of_each_locations_answers():
    """Reference, by hand at three locations: the class distribution, log distance, box
    centre in [-1, 1] and log relative size of the location's own outputs, through the
    MLP (randomised: the zero init would hide it), added to the T2 feature path's logits."""
    from maxsight.models.heads.cross_task_head import CrossTaskDenseHead
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    torch.manual_seed(0)
    head = CrossTaskDenseHead(3, in_channels=8, feat_channels=8, strides=(8, 16))
    assert head.answer_mlp[0].in_features == 3 + 5
    feats = [torch.randn(2, 8, 2, 3), torch.randn(2, 8, 1, 2)]
    with torch.no_grad():
        untrained = head(feats)
        base = MultiTaskDenseHead.forward(head, feats)
        assert torch.equal(untrained['urgency'], base['urgency'])  # zero init: T2's logits
        for p in head.answer_mlp[-1].parameters():
            p.normal_(0, 0.5)
        out = head(feats)
    input_w, input_h = 3 * 8, 2 * 8  # the padded input: level 0's size times its stride
    for b, n in ((0, 0), (1, 4), (0, 7)):
        prob = base['cls'][b, n].sigmoid()
        x1, y1, x2, y2 = base['box'][b, n].tolist()
        answer = torch.tensor(
            (prob / prob.sum()).tolist() + [float(base['log_dist'][b, n]),
                                            (x1 + x2) / input_w - 1, (y1 + y2) / input_h - 1,
                                            math.log((x2 - x1) / input_w),
                                            math.log((y2 - y1) / input_h)])
        with torch.no_grad():
            expected = base['urgency'][b, n] + head.answer_mlp(answer)
        assert torch.allclose(out['urgency'][b, n], expected, atol=1e-5)
    for key in ('cls', 'box', 'log_dist', 'zone'):
        assert torch.equal(out[key], base[key])


def test_cross_task_urgency_loss_never_moves_the_answers_it_reads():
    """The answers are detached: an urgency-only loss leaves the class, box and distance
    output layers (which only the answers connect to urgency) without gradient, and trains
    the MLP."""
    from maxsight.models.heads.cross_task_head import CrossTaskDenseHead
    torch.manual_seed(0)
    head = CrossTaskDenseHead(3, in_channels=8, feat_channels=8, strides=(8,))
    with torch.no_grad():
        head.answer_mlp[-1].weight.normal_(0, 0.5)
    head([torch.randn(1, 8, 2, 2)])['urgency'].sum().backward()
    for module in (head.cls_out, head.box_out, head.dist_out):
        assert all(p.grad is None or not p.grad.any() for p in module.parameters())
    assert head.answer_mlp[0].weight.grad.abs().sum() > 0


def test_cross_task_answer_mlp_is_two_relu_layers_of_a_checked_width():
    """A ReLU dropped (the MLP collapses to a linear map of the answers), a width of 1
    refused, or a zero, fractional or bool width accepted."""
    from maxsight.models.heads.cross_task_head import CrossTaskDenseHead
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match='answer_channels must be a positive int'):
            CrossTaskDenseHead(3, answer_channels=bad)
    narrow = CrossTaskDenseHead(3, answer_channels=1).answer_mlp  # the smallest valid width
    assert [type(m).__name__ for m in narrow] == ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']
    assert (narrow[0].in_features, narrow[0].out_features, narrow[4].in_features) == (8, 1, 1)


def test_balancers_group_losses_by_the_configured_tasks_and_log_only_changing_weights():
    from maxsight.models.balancers import GradNorm, PCGrad
    tasks = dict(a=['loss_a'], b=['loss_b'], c=['loss_c'])
    for bal in (PCGrad(tasks=tasks), GradNorm(shared_params=['shared'], tasks=tasks)):
        model = TwoTask()
        losses = model.losses(*_data())
        losses['loss_c'] = losses['loss_b'] * 0.5
        log = bal.train_step(model, losses,
                             OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3)))
        names = sorted(k for k in log if k.startswith('task_weight/'))
        if isinstance(bal, PCGrad):  # always 1: nothing to log
            assert names == [] and bal.task_losses(losses).keys() == {'a', 'b', 'c'}
        else:
            assert names == ['task_weight/a', 'task_weight/b', 'task_weight/c']


def test_gradnorm_updates_the_model_with_the_weights_learned_so_far():
    """Step t's parameter update is -lr * grad(sum_i w_i(t) L_i) with the weights left by
    step t - 1 (before this step's weight update), not with ones."""
    from maxsight.models.balancers import GradNorm
    model, d = TwoTask(), _data()
    bal = GradNorm(alpha=1.5, lr=0.5, shared_params=['shared'],
                   tasks=dict(a=['loss_a'], b=['loss_b']))
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    bal.train_step(model, model.losses(*d), wrapper)
    w = bal.weights.clone()
    assert abs(float(w[0]) - 1.0) > 0.05  # the weights have moved
    before = [p.detach().clone() for p in model.parameters()]
    losses = model.losses(*d)
    grads = torch.autograd.grad(w[0] * losses['loss_a'] + w[1] * losses['loss_b'],
                                list(model.parameters()), retain_graph=True)
    bal.train_step(model, losses, wrapper)
    for p0, p, g in zip(before, model.parameters(), grads):
        assert torch.allclose(p.detach(), p0 - 1e-3 * g, atol=1e-6)


def test_task_grouping_skips_non_losses_sums_lists_and_knows_full_aux_names():
    from maxsight.models.balancers.base_balancer import TaskBalancer
    bal = TaskBalancer(tasks=dict(t=['loss_x', 'aux_special_loss']))
    one, two = torch.tensor(1.0), torch.tensor(2.0)
    grouped = bal.task_losses({'acc': torch.tensor(9.0), 'loss_x': one,
                               'aux_loss_x': [two, two], 'aux_special_loss': two,
                               'loss_other': one})
    assert {k: float(v) for k, v in grouped.items()} == {'t': 1 + 4 + 2, 'loss_other': 1}


def test_bad_steps_accumulate_in_the_message_hub(monkeypatch):
    from maxsight.models.balancers.base_balancer import BAD_STEP_KEY, report_bad_step
    hub = MessageHub(f'bad_steps_{time.time_ns()}')
    monkeypatch.setattr(MessageHub, 'get_current_instance', classmethod(lambda cls: hub))
    report_bad_step(['cls'])
    report_bad_step(['box', 'gradient'])
    assert hub.get_info(BAD_STEP_KEY) == ['cls', 'box', 'gradient']


# mutmut keeps a function's signature and swaps its body, so a default is only pinned by
# calling without the argument: each test below builds the component with its defaults


def test_default_constructed_losses_equal_their_references():
    import torch.nn.functional as F
    from torchvision.ops import sigmoid_focal_loss

    from maxsight.models.losses.focal_loss import FocalLoss, QualityFocalLoss
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(6, 3, generator=g), (torch.rand(6, 3, generator=g) > 0.7)
    ref = sigmoid_focal_loss(pred, target.float(), alpha=0.25, gamma=2.0, reduction='mean')
    assert torch.allclose(FocalLoss()(pred, target), ref, atol=1e-7)
    soft = torch.rand(6, 3, generator=g)
    qfl = (F.binary_cross_entropy_with_logits(pred, soft, reduction='none')
           * (soft - pred.sigmoid()).abs().pow(2.0)).mean()
    assert torch.allclose(QualityFocalLoss()(pred, soft), qfl, atol=1e-7)


def test_default_constructed_balancers_and_heads_behave_as_documented():
    from maxsight.models.balancers import GradNorm, PCGrad, UncertaintyWeighting
    from maxsight.models.heads.cross_task_head import CrossTaskDenseHead
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    assert torch.equal(PCGrad().generator.get_state(),
                       torch.Generator().manual_seed(0).get_state())
    assert torch.equal(UncertaintyWeighting().log_sigma2, torch.zeros(4))
    weights = []
    for bal in (GradNorm(shared_params=['shared'], tasks=dict(a=['loss_a'], b=['loss_b'])),
                GradNorm(alpha=1.5, lr=0.025, shared_params=['shared'],
                         tasks=dict(a=['loss_a'], b=['loss_b']))):
        model = TwoTask()
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
        for _ in range(3):
            bal.train_step(model, model.losses(*_data()), wrapper)
        weights.append(bal.weights.clone())
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0],
                                                                    torch.ones(2))
    head = MultiTaskDenseHead(num_classes=2)  # 64 channels in, 2 convs a tower, 3 levels
    preds = head([torch.randn(1, 64, 4, 4), torch.randn(1, 64, 2, 2),
                  torch.randn(1, 64, 1, 1)])
    assert preds['cls'].shape == (1, 21, 2)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in head.cls_tower) == 2
    assert [m.out_features for m in CrossTaskDenseHead(num_classes=2).answer_mlp
            if isinstance(m, torch.nn.Linear)] == [64, 64, 4]


def test_first_gradnorm_step_is_the_plain_sum_and_one_task_keeps_weight_one():
    from maxsight.models.balancers import DynamicWeightAverage, GradNorm
    model, d = TwoTask(), _data()
    bal = GradNorm(shared_params=['shared'], tasks=dict(a=['loss_a'], b=['loss_b']))
    before = [p.detach().clone() for p in model.parameters()]
    losses = model.losses(*d)
    grads = torch.autograd.grad(losses['loss_a'] + losses['loss_b'],
                                list(model.parameters()), retain_graph=True)
    bal.train_step(model, losses, OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3)))
    for p0, p, g in zip(before, model.parameters(), grads):
        assert torch.allclose(p.detach(), p0 - 1e-3 * g, atol=1e-6)
    for bal in (GradNorm(shared_params=['shared'], tasks=dict(a=['loss_a'])),
                DynamicWeightAverage(window=1, tasks=dict(a=['loss_a']))):
        model = TwoTask()
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
        for _ in range(3):
            losses = model.losses(*d)
            log = bal.train_step(model, dict(loss_a=losses['loss_a']), wrapper)
            assert float(log['task_weight/a']) == pytest.approx(1.0)
        before = [p.detach().clone() for p in model.parameters()]
        losses = model.losses(*d)
        grads = torch.autograd.grad(losses['loss_a'], list(model.parameters()),
                                    retain_graph=True, allow_unused=True)
        bal.train_step(model, dict(loss_a=losses['loss_a']), wrapper)
        for p0, p, g in zip(before, model.parameters(), grads):
            expected = p0 if g is None else p0 - 1e-3 * g
            assert torch.allclose(p.detach(), expected, atol=1e-6)


def test_scene_target_of_an_unannotated_image_without_objects_is_safe():
    import torch.nn.functional as F

    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    from maxsight.structures import DetDataSample
    from mmengine.structures import InstanceData
    head = MultiTaskDenseHead(num_classes=2, in_channels=8, feat_channels=8, strides=(8,))
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, 8, 2, 2, generator=g)]
    preds = head(feats)
    samples = []
    for n in (0, 2):
        s = DetDataSample(metainfo=dict(img_shape=(16, 16)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor([[0., 0., 8., 8.], [8., 8., 16., 16.]])[:n],
            labels=torch.zeros(n, dtype=torch.long), distance_m=torch.full((n,), 3.0),
            distance_zone=torch.ones(n, dtype=torch.long),
            urgency=torch.tensor([1, 2])[:n])
        samples.append(s)
    loss = head.loss_by_preds(preds, samples)['loss_scene']
    ref = F.cross_entropy(preds['scene'], torch.tensor([0, 2])) * 0.2
    assert torch.allclose(loss, ref)


def test_gradnorm_default_alpha_and_lr_by_hand():
    """G = (1.5, 0.5), loss ratios (1.2, 0.8): targets 1.2^1.5 = 1.31 < 1.5 and
    0.8^1.5 = 0.72 > 0.5, so the first Adam step (lr 0.025, +-lr by sign) moves the weights
    to (0.975, 1.025); with alpha 2.5 both targets would lie above G."""
    from maxsight.models.balancers import GradNorm
    bal = GradNorm()
    bal.weights, bal.initial_losses = torch.ones(2), torch.ones(2)
    bal.exp_avg, bal.exp_avg_sq = torch.zeros(2), torch.zeros(2)
    p = torch.nn.Parameter(torch.ones(1))
    diag = bal.gradnorm_update(dict(a=(1.5 * p - 0.3).sum(), b=(0.5 * p + 0.3).sum()), [p])
    assert diag == pytest.approx({'gradnorm_G/a': 1.5, 'gradnorm_G/b': 0.5})
    assert bal.weights.tolist() == pytest.approx([0.975, 1.025], abs=1e-6)


def test_single_task_gradnorm_first_step_is_plain_sgd_and_resumed_steps_log_weights():
    from maxsight.models.balancers import GradNorm
    model, d = TwoTask(), _data()
    bal = GradNorm(shared_params=['shared'], update_interval=2, tasks=dict(a=['loss_a']))
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    before = [p.detach().clone() for p in model.parameters()]
    loss = model.losses(*d)['loss_a']
    grads = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True,
                                allow_unused=True)
    bal.train_step(model, dict(loss_a=loss), wrapper)
    for p0, p, g in zip(before, model.parameters(), grads):
        assert torch.allclose(p.detach(), p0 if g is None else p0 - 1e-3 * g, atol=1e-6)
    resumed = GradNorm(shared_params=['shared'], update_interval=2, tasks=dict(a=['loss_a']))
    resumed.load_state_dict(bal.state_dict())  # num_steps 1: no weight update this step
    log = resumed.train_step(model, dict(loss_a=model.losses(*d)['loss_a']), wrapper)
    assert float(log['task_weight/a']) == 1.0

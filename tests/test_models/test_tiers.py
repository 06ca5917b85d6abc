"""Every tier's added module changes the outputs and receives gradient (DESIGN section 4)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from maxsight.registry import MODELS

from ..helpers import build_tier

TIERS = {  # config -> (attributes of the modules it adds, uses clips)
    't0_baseline': (('neck',), False),
    't1_attention': (('pyramid_attention', 'bbox_head.scene_pool'), False),
    't2_default': (('encoder',), False),
    't3_cross_task': (('bbox_head.answer_mlp',), False),
    't4_cross_modal': (('audio_fusion',), False),  # its beside output: fitted after training
    # T4's beside output trains alongside in T5 (its refit fits the motion refiner)
    't5_temporal': (('temporal', 'motion', 'bbox_head.beside_out'), True),
}


def _module(model, path):
    for part in path.split('.'):
        model = getattr(model, part)
    return model


@pytest.mark.parametrize('name, path', [(n, p) for n in sorted(TIERS) for p in TIERS[n][0]])
def test_added_module_changes_outputs_and_gets_gradient(name, path, tiny_synth):
    model, data = build_tier(name, tiny_synth)
    clips = TIERS[name][1]
    module = _module(model, path)
    if clips:
        assert tuple(data['padding_mask'].shape) == (2, 4)
        assert data['inputs'].shape[0] == 8  # 2 clips x 4 frames
        meta = [(s.metainfo['clip_id'], s.metainfo['frame_index']) for s in data['data_samples']]
        assert [f for _, f in meta] == [0, 1, 2, 3, 0, 1, 2, 3]  # clip-major, like inputs
        assert len({c for c, _ in meta[:4]}) == 1 and meta[0][0] != meta[4][0]
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    if clips:
        assert 'loss_temporal' in losses and losses['loss_temporal'] > 0
    sum(losses.values()).backward()
    grad = sum(p.grad.abs().sum() for p in module.parameters() if p.grad is not None)
    assert grad > 0, f'{path} got no gradient'
    model.eval()
    with torch.no_grad():
        before = _flat(model(**data, mode='tensor'))
        for p in module.parameters():
            p.add_(0.05 * torch.randn_like(p))
        after = _flat(model(**data, mode='tensor'))
    assert not torch.allclose(before, after, atol=1e-6), f'{path} does not change outputs'


def _flat(outputs):
    """Every prediction (class, box, objectness, distance, urgency, scene) in one vector."""
    return torch.cat([v.flatten() for k, v in sorted(outputs.items()) if k != 'points'])


def test_t5_predicts_only_real_frames(tiny_synth):
    model, data = build_tier('t5_temporal', tiny_synth)
    data['padding_mask'][1, 2:] = True  # pretend the second clip has 2 frames
    model.bbox_head.test_cfg['nms_iou_thr'] = None  # keep all top 100 of the random model
    model.eval()
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert len(out) == 6 and all(len(s.pred_instances) == 100 for s in out)


def test_t5_motion_fit_data_are_the_refiners_inputs_at_the_matched_predictions(tiny_synth):
    """What the refit fits T5's refiner on: at the positives the loss matches in the real
    frames, the refiner's features and the outputs it refines (base + MLP(features) = the
    model's refined outputs there), and the annotated urgency and log distance."""
    model, data = build_tier('t5_temporal', tiny_synth)
    data['padding_mask'][1, 3] = True  # the second clip's last frame is padding
    model.eval()
    with torch.no_grad():
        gen = torch.Generator().manual_seed(0)
        model.motion.mlp[-1].weight.normal_(generator=gen)
        # distances that differ from frame to frame, so their track lines move them
        model.bbox_head.dist_out.weight.normal_(std=0.3, generator=gen)
        features, urgency, log_dist, gt_urgency, gt_log_dist = model.motion_fit_data(
            data['inputs'], data['data_samples'], data['padding_mask'])
        preds = model(**data, mode='tensor')
        valid = ~data['padding_mask'].flatten()
        kept = [s for s, v in zip(data['data_samples'], valid.tolist()) if v]
        t = model.bbox_head.get_targets(
            {k: (v if k == 'points' else v[valid]) for k, v in preds.items()}, kept)
        delta = model.motion.mlp(features)
    bi, pi = t['pos_batch'], t['pos_index']
    assert len(kept) == 7 and len(pi) > 0 and features.shape == (len(pi), 11 + 8)
    assert torch.allclose(urgency + delta[:, :4], preds['urgency'][valid][bi, pi], atol=1e-5)
    assert torch.allclose(log_dist + delta[:, 4], preds['log_dist'][valid][bi, pi], atol=1e-5)
    refiner, model.motion = model.motion, None  # the frames' own distances, moved by it
    with torch.no_grad():
        plain = model(**data, mode='tensor')
    model.motion = refiner
    assert (log_dist - plain['log_dist'][valid][bi, pi]).abs().max() > 1e-3
    with torch.no_grad():  # what the refiner reads: the model without it
        unrefined = model.unrefined_predictions(data['inputs'], data['data_samples'],
                                                data['padding_mask'])
    assert all(torch.equal(unrefined[k], v) for k, v in plain.items())
    assert torch.equal(gt_urgency, t['gt_urgency'].long())
    assert torch.allclose(gt_log_dist, t['gt_distance_m'].clamp(min=0.1).log())
    model.motion = None
    with pytest.raises(ValueError, match='no motion refiner'):
        model.motion_fit_data(data['inputs'], data['data_samples'], data['padding_mask'])


def test_t4_without_audio_is_a_clear_error(tiny_synth):
    model, data = build_tier('t4_cross_modal', tiny_synth)
    for s in data['data_samples']:
        del s.audio
    with pytest.raises(ValueError, match='LoadAudioFeatures'):
        model(**data, mode='loss')


def test_t4_outputs_follow_the_audio_input(tiny_synth):
    """After one training step (the fusion starts as the identity: zero-initialised output
    layers), perturbing the audio features, the input, changes the predictions."""
    model, data = build_tier('t4_cross_modal', tiny_synth)
    with torch.no_grad():
        start = _flat(model.eval()(**data, mode='tensor'))
        for s in data['data_samples']:
            s.audio_copy = s.audio.clone()
            s.audio = s.audio + torch.randn_like(s.audio)
        assert torch.equal(start, _flat(model(**data, mode='tensor')))  # identity at init
        for s in data['data_samples']:
            s.audio = s.audio_copy
    model.train()
    opt = torch.optim.SGD(model.audio_fusion.parameters(), lr=0.1)
    sum(model(**data, mode='loss').values()).backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        before = _flat(model(**data, mode='tensor'))
        for s in data['data_samples']:
            s.audio = s.audio + torch.randn_like(s.audio)
        after = _flat(model(**data, mode='tensor'))
    assert not torch.allclose(before, after, atol=1e-6)


@pytest.mark.parametrize('name', ['t1_gradnorm', 't3_cross_task', 't5_temporal'])
def test_tiers_train_through_gradnorm(name, tiny_synth):
    """One training step with GradNorm (t1_gradnorm's, given to the other tiers) goes
    through it: the task weights leave 1, still sum to the number of tasks, and the
    parameters move."""
    from mmengine.optim import OptimWrapper
    gradnorm = Config.fromfile('configs/t1_gradnorm.py').model.balancer
    model, data = build_tier(name, tiny_synth, balancer=None if name == 't1_gradnorm'
                             else gradnorm)
    assert type(model.balancer).__name__ == 'GradNorm'
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    buffers = {k: b.clone() for k, b in model.named_buffers()}
    log = model.balancer.guarded_step(model, model(**data, mode='loss'), wrapper, buffers)
    weights = [float(v) for k, v in log.items() if k.startswith('task_weight/')]
    tasks = 5 if name == 't5_temporal' else 4  # T5: the temporal loss is a task of its own
    assert len(weights) == tasks and sum(weights) == pytest.approx(tasks, rel=1e-5)
    assert any(abs(w - 1.0) > 1e-4 for w in weights)
    assert any(not torch.equal(before[k], p) for k, p in model.named_parameters())


@pytest.mark.parametrize('path', ['temporal', 'motion'])
def test_t5_urgency_follows_the_motion_in_the_clip(path, tiny_synth):
    """The last frame held fixed, the earlier frames of its clip showing it static or
    moving: each of T5's modules (perturbed from its identity start, the other left at it)
    gives that frame other urgency logits; a single-frame model could not."""
    model, data = build_tier('t5_temporal', tiny_synth)
    with torch.no_grad():
        for p in getattr(model, path).parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.eval()
    last = data['inputs'][3].clone()
    urgency = []
    for shift in (0, 6):  # pixels a frame: static, then moving right
        frames = torch.stack([torch.roll(last, -shift * (3 - t), dims=2) for t in range(4)])
        inputs = data['inputs'].clone()
        inputs[:4] = frames
        with torch.no_grad():
            out = model(inputs, data['data_samples'], padding_mask=data['padding_mask'],
                        mode='tensor')
        urgency.append(out['urgency'][3])
    assert torch.equal(data['inputs'][3], last)
    assert not torch.allclose(urgency[0], urgency[1], atol=1e-5)


def test_every_tier_keeps_t0s_training_recipe():
    """A tier differs from the one below by its module only (the tier ladder's premise,
    docs/tiers.md): same balancer, losses, matcher, schedule and optimiser as T0."""
    def recipe(name):
        cfg = Config.fromfile(f'configs/{name}.py')
        head = {k: v for k, v in cfg.model.bbox_head.items() if k.startswith('loss_')
                or k in ('matcher', 'hazard_loss_weight')}
        return dict(balancer=cfg.model.balancer, head=head, optim=cfg.optim_wrapper,
                    schedule=cfg.param_scheduler, epochs=cfg.train_cfg.max_epochs)
    t0 = recipe('t0_baseline')
    assert t0['balancer'] == dict(type='StaticWeights')
    assert t0['head']['loss_cls']['alpha'] == 0.5
    for name in ('t1_attention', 't2_default', 't3_cross_task', 't4_cross_modal'):
        assert recipe(name) == t0, name
    assert recipe('t5_temporal')['balancer'] == t0['balancer']


def test_t2s_encoder_carries_a_stride_8_cue_to_every_level(tiny_synth):
    """The signal set's lesson (docs/tiers.md): a lamp is read at stride 8, and the
    vehicles it governs can be anywhere, so T2's encoder reads every level: a change at one
    stride-8 location reaches the far corner of all three (over the coarse two alone,
    level 0 would pass through unchanged)."""
    model, _ = build_tier('t2_default', tiny_synth)
    encoder = model.encoder.eval()
    assert tuple(encoder.levels) == (0, 1, 2)
    # docs/model.md: a 256x192 image has 1008 tokens, every one a key (no pooling)
    shapes = [(192 // s, 256 // s) for s in (8, 16, 32)]
    assert sum(h * w for h, w in shapes) == 1008 and encoder.reduction_factor(shapes) == 1
    torch.manual_seed(0)
    feats = [torch.randn(1, 64, 12 // 2 ** i, 16 // 2 ** i) for i in range(3)]
    moved = [f.clone() for f in feats]
    moved[0][:, :, 0, 0] += torch.randn(64)  # not constant: the encoder's LayerNorm drops that
    with torch.no_grad():
        before, after = encoder(feats), encoder(moved)
    for lvl in range(3):
        assert not torch.allclose(before[lvl][..., -1, -1], after[lvl][..., -1, -1]), lvl


#: the parameter counts docs/tiers.md's rung table gives (8 classes: the embedded data)
DOCUMENTED_PARAMETERS = {'t0_baseline': 1_826_513, 't1_attention': 1_829_000,
                         't2_default': 1_862_664, 't3_cross_task': 1_867_980,
                         't4_cross_modal': 1_926_350, 't5_temporal': 1_965_587}


def test_every_tier_has_the_parameters_its_docs_row_states():
    """A changed stage depth, width or module shows here before it silently changes the
    rung table's cost column."""
    for name, count in DOCUMENTED_PARAMETERS.items():
        cfg = Config.fromfile(f'configs/{name}.py')
        cfg.model.bbox_head.num_classes = 8
        model = MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) == count, name


def test_lite_resnet_stages_have_their_depths_and_strides_8_16_32():
    from maxsight.models.backbones.lite_resnet import LiteResNet
    net = LiteResNet()
    assert [len(s) for s in net.stages] == [1, 1, 2, 1]
    outs = net(torch.zeros(1, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 8, 12), (1, 128, 4, 6), (1, 256, 2, 3)]

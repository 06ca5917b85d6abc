"""The refit after training (T3, T4: answer MLP; T5: motion refiner): the data it fits on,
the hook and the tool."""
import copy
import json
from types import SimpleNamespace
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import EpochBasedTrainLoop, Runner

from maxsight.engine.answer_refit import (format_refit, refit_answers, refit_checkpoint,
                                          refit_loader_cfg)
from maxsight.engine.hooks import AnswerRefitHook

from ..helpers import ROOT, build_tier, tier_config


def _head(num_classes: int = 3):
    from maxsight.models.heads import CrossTaskDenseHead
    torch.manual_seed(0)
    return CrossTaskDenseHead(num_classes=num_classes)


def test_the_fit_learns_the_urgency_the_answers_carry_beside_fixed_feature_logits():
    """Urgency a function of the answers (the distance answer's sign): the MLP, at its
    zero start, leaves the feature logits' call (always 'safe'); fitted, it calls nearly
    all right, and the feature logits stay an offset it adds to, not something it moves."""
    head = _head()
    gen = torch.Generator().manual_seed(0)
    answers = torch.randn(400, 8, generator=gen)
    urgency = (answers[:, 3] > 0).long() * 3  # column 3: the log distance answer
    feature = torch.zeros(400, 4)
    feature[:, 0] = 1.0
    kept = feature.clone()
    out = head.refit_answer_mlp(answers, feature, urgency, steps=300, lr=1e-2)
    assert out['acc_before'] == float((urgency == 0).float().mean())
    with torch.no_grad():
        called = (feature + head.answer_mlp(answers)).argmax(1)
    assert out['acc_after'] == float((called == urgency).float().mean()) >= 0.97
    assert torch.equal(feature, kept)
    assert all(p.grad is None for p in head.parameters())
    again = _head()
    again.refit_answer_mlp(answers, feature, urgency, steps=300, lr=1e-2)
    for a, b in zip(head.answer_mlp.parameters(), again.answer_mlp.parameters()):
        assert torch.equal(a, b)  # full-batch: no sampling, the same fit every time


@pytest.mark.parametrize('steps, lr', [(0, 1e-3), (1.5, 1e-3), (10, 0.0), (10, '0.1')])
def test_a_fit_without_steps_or_rate_is_refused(steps, lr):
    with pytest.raises(ValueError, match='steps must be a positive int and lr > 0'):
        _head().refit_answer_mlp(torch.zeros(2, 8), torch.zeros(2, 4),
                                 torch.zeros(2, dtype=torch.long), steps=steps, lr=lr)
    with pytest.raises(ValueError, match='^AnswerRefitHook: steps must be a positive int'):
        AnswerRefitHook(steps=steps, lr=lr)
    with pytest.raises(ValueError, match='^the answer refit: steps must be a positive int'):
        refit_checkpoint(Config(), 'never_read.pth', 'never_written.pth', steps=steps, lr=lr)


def test_a_fit_on_no_objects_is_refused():
    with pytest.raises(ValueError, match='no matched predictions to fit on'):
        _head().refit_answer_mlp(torch.zeros(0, 8), torch.zeros(0, 4),
                                 torch.zeros(0, dtype=torch.long))


def test_the_fit_data_are_the_matched_predictions_answers_and_feature_logits(tiny_synth):
    """At the positives the loss matches: the answers the MLP reads, the urgency logits
    without the MLP's share (forward's urgency there = them + MLP(answers)) and the
    annotated urgency of the matched objects."""
    model, data = build_tier('t3_cross_task', tiny_synth)
    head = model.bbox_head
    with torch.no_grad():
        torch.nn.init.normal_(head.answer_mlp[-1].weight)  # the MLP off its zero start
        feats = model.extract_feat(data['inputs'], data['data_samples'])
        answers, feature, urgency = head.answer_fit_data(feats, data['data_samples'])
        preds = head(feats)
        t = head.get_targets(preds, data['data_samples'])
    bi, pi = t['pos_batch'], t['pos_index']
    num_pos = len(pi)
    assert num_pos >= 4 * sum(len(s.gt_instances) for s in data['data_samples']) - 8
    assert answers.shape == (num_pos, 8 + 5) and feature.shape == (num_pos, 4)
    assert torch.equal(urgency, t['gt_urgency'].long())
    assert torch.allclose(feature + head.answer_mlp(answers), preds['urgency'][bi, pi],
                          atol=1e-5)
    assert not torch.allclose(feature, preds['urgency'][bi, pi], atol=1e-3)


def test_the_refit_reads_the_training_split_unaugmented_in_order(tiny_synth):
    cfg = tier_config('t3_cross_task', tiny_synth)
    loader = refit_loader_cfg(cfg)
    assert loader['dataset']['ann_file'] == cfg.train_dataloader.dataset.ann_file
    assert loader['dataset']['pipeline'] == cfg.test_dataloader.dataset.pipeline
    assert 'RandomFlip' not in [t['type'] for t in loader['dataset']['pipeline']]
    assert loader['sampler'] == dict(type='DefaultSampler', shuffle=False)
    assert cfg.train_dataloader.sampler['shuffle'] is True  # the config is left as it was
    with pytest.raises(ValueError, match='needs train_dataloader and test_dataloader'):
        refit_loader_cfg(Config(dict(train_dataloader=None)))


def test_models_without_an_answer_mlp_or_a_motion_refiner_are_refused(tiny_synth):
    model, _ = build_tier('t2_default', tiny_synth)
    with pytest.raises(ValueError, match='this model has MultiTaskDenseHead \\(in a config: '
                                         'drop AnswerRefitHook from custom_hooks'):
        refit_answers(model, [])
    model, _ = build_tier('t5_temporal', tiny_synth)
    with pytest.raises(ValueError, match='^the motion refit read no clips'):
        refit_answers(model, [])
    model.motion = None
    with pytest.raises(ValueError, match='fits its motion refiner; this model has none'):
        refit_answers(model, [])
    model, _ = build_tier('t3_cross_task', tiny_synth)
    model.train()
    with pytest.raises(ValueError, match='^the answer refit read no images'):
        refit_answers(model, [])
    assert model.training  # left in the mode it came in


@pytest.mark.parametrize('tier,fitted', [
    ('t3_cross_task', ('bbox_head.answer_mlp.',)),
    ('t4_cross_modal', ('bbox_head.answer_mlp.', 'bbox_head.beside_out.')),
    ('t5_temporal', ('motion.mlp.',))])
def test_the_hook_and_the_tool_fit_the_same_mlp_and_change_nothing_else(tiny_synth,
                                                                       tmp_path, tier, fitted):
    """The hook (end of the last epoch) and refit_checkpoint (a saved checkpoint) read the
    same data and fit the same MLP (and T4's beside output; T5's motion refiner instead)
    from the same weights; every other tensor is left as it was; the tool's copy drops the operating point chosen for
    the old MLP."""
    cfg = tier_config(tier, tiny_synth)
    torch.manual_seed(0)
    from maxsight.registry import MODELS
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'epoch_2.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(operating_point=dict(hazard_prob_thr=0.2), epoch=2)), ckpt)
    out = str(tmp_path / 'refit.pth')
    tool = refit_checkpoint(copy.deepcopy(cfg), ckpt, out, steps=40)
    saved = torch.load(out, weights_only=True)
    assert 'operating_point' not in saved['meta'] and saved['meta']['epoch'] == 2
    assert saved['meta']['answer_refit']['source'] == ckpt
    assert saved['meta']['answer_refit']['acc_after'] == tool['acc_after']
    before = model.state_dict()
    changed = {k for k, v in saved['state_dict'].items() if not torch.equal(v, before[k])}
    assert {prefix for prefix in fitted if any(k.startswith(prefix) for k in changed)} == \
        set(fitted) and all(k.startswith(fitted) for k in changed)
    if tier == 't4_cross_modal':  # every training image carries beside_hazards
        train = cfg.train_dataloader.dataset
        with open(f'{train.data_root}/{train.ann_file}') as f:
            n = len(json.load(f)['images'])
        assert tool['beside_images'] == n and f'beside output fitted on its {n} images' in \
            format_refit(tool)
    if tier == 't5_temporal':  # the clips' matched predictions
        assert tool['motion'] and format_refit(tool).startswith(
            f'motion refiner refitted on {tool["positives"]} matched predictions of the '
            'training clips')

    hook = AnswerRefitHook(steps=40)
    runner = SimpleNamespace(cfg=cfg, model=model, seed=0, epoch=1, max_epochs=2,
                             train_loop=mock.Mock(spec=EpochBasedTrainLoop),
                             build_dataloader=Runner.build_dataloader,
                             logger=MMLogger.get_instance('refit_test'))
    hook.after_train_epoch(runner)
    assert hook.result == {**tool, 'seconds': hook.result['seconds']}
    for k, v in model.state_dict().items():
        assert torch.equal(v, saved['state_dict'][k]), k

    with pytest.raises(FileExistsError, match='refit.pth exists: give --out a new file'):
        refit_checkpoint(copy.deepcopy(cfg), ckpt, out)


def test_the_hook_waits_for_the_last_epoch(tiny_synth):
    model, _ = build_tier('t3_cross_task', tiny_synth)
    before = copy.deepcopy(model.state_dict())
    runner = SimpleNamespace(epoch=0, max_epochs=2, model=model,
                             train_loop=mock.Mock(spec=EpochBasedTrainLoop))
    AnswerRefitHook().after_train_epoch(runner)  # the epoch before the last: no refit
    AnswerRefitHook().after_train_iter(runner, 0)  # an epoch loop refits per epoch only
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_t3_t4_t5_and_t5s_control_refit_after_training():
    hooks = {name: Config.fromfile(f'configs/{name}.py').get('custom_hooks')
             for name in ('t3_cross_task', 't4_cross_modal', 't4_clip_frames_finetune',
                          't5_temporal', 't5_temporal_finetune', 't2_default')}
    refit = [dict(type='AnswerRefitHook', steps=2000, lr=1e-3)]
    assert hooks == dict(t3_cross_task=refit, t4_cross_modal=refit,
                         t4_clip_frames_finetune=refit, t5_temporal=refit,
                         t5_temporal_finetune=refit, t2_default=None)


def test_the_tool_writes_a_refitted_copy_and_refuses_to_overwrite(tiny_synth, tmp_path):
    """tools/refit_answers.py on a T3 checkpoint of the tiny data: the config's data paths
    from --cfg-options, a new file written, an existing one refused."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('refit_tool', f'{ROOT}/tools/refit_answers.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = tier_config('t3_cross_task', tiny_synth)
    torch.manual_seed(0)
    from maxsight.registry import MODELS
    ckpt, out = str(tmp_path / 'in.pth'), str(tmp_path / 'out.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(), meta={}), ckpt)
    options = [f'embedded_dataset.{k}={v}' for k, v in cfg.embedded_dataset.items()]
    options += [f'{s}_dataloader.dataset.data_root={tiny_synth}' for s in ('train', 'test')]
    args = ['configs/t3_cross_task.py', ckpt, '--out', out, '--steps', '5',
            '--cfg-options', *options, 'train_dataloader.num_workers=0']
    result = tool.main(args)
    assert result['positives'] > 0 and 0.0 <= result['acc_after'] <= 1.0
    assert torch.load(out, weights_only=True)['meta']['answer_refit']['steps'] == 5
    with pytest.raises(FileExistsError, match='out.pth exists'):
        tool.main(args)


def test_the_hook_refits_once_at_the_end_of_an_epoch_or_an_iteration_loop(monkeypatch):
    from mmengine.runner import IterBasedTrainLoop

    from maxsight.engine.hooks import answer_refit_hook
    calls = []
    monkeypatch.setattr(answer_refit_hook, 'refit_loader_cfg', lambda cfg: None)
    monkeypatch.setattr(answer_refit_hook, 'refit_answers',
                        lambda *a: calls.append(a) or dict(positives=1, acc_before=0.5,
                                                           acc_after=0.75, seconds=1.0))
    logger = MMLogger.get_instance('refit_hook_test')
    for loop, last in ((EpochBasedTrainLoop, 'epoch'), (IterBasedTrainLoop, 'iter')):
        runner = SimpleNamespace(train_loop=mock.Mock(spec=loop), model='model', cfg=None,
                                 seed=0, build_dataloader=lambda cfg, seed: 'loader',
                                 logger=logger, max_epochs=2, max_iters=6, epoch=0, iter=0)
        hook = AnswerRefitHook(steps=7, lr=0.5)
        for runner.epoch, runner.iter in ((0, 4), (1, 5)):  # the second is the last of both
            hook.after_train_iter(runner, 0)
            hook.after_train_epoch(runner)
        assert calls == [('model', 'loader', 7, 0.5)], last
        assert hook.result['acc_after'] == 0.75
        calls.clear()


def test_a_t4_refit_on_data_without_beside_hazards_leaves_the_output_unfitted(tiny_synth):
    """A user's own data (no beside_hazards): the answer MLP is fitted, the beside output
    keeps its unfitted weights (no alerts), and the log line says so."""
    model, data = build_tier('t4_cross_modal', tiny_synth)
    for s in data['data_samples']:
        s.set_metainfo(dict(beside_hazard=None))
    batch = dict(inputs=data['inputs'], data_samples=data['data_samples'])
    beside = copy.deepcopy(model.bbox_head.beside_out.state_dict())
    with mock.patch.object(model.data_preprocessor, 'forward', lambda b, training=False: b):
        out = refit_answers(model, [batch], steps=5)
    assert out['beside_images'] == 0 and 'beside output not fitted' in format_refit(out)
    assert all(torch.equal(v, beside[k])
               for k, v in model.bbox_head.beside_out.state_dict().items())


def test_the_hook_refuses_a_model_it_cannot_refit_before_training(tiny_synth):
    """Before the first step, not at the end of the run (where the error would come before
    the last checkpoint is saved): a head without an answer MLP, a clip model without a
    motion refiner; T3 and T5 pass."""
    hook = AnswerRefitHook()
    for name, message in (('t2_default', 'this model has MultiTaskDenseHead'),
                          ('t5_temporal', 'this model has none \\(model.motion')):
        model, _ = build_tier(name, tiny_synth)
        if name == 't5_temporal':
            model.motion = None
        with pytest.raises(ValueError, match=message):
            hook.before_train(SimpleNamespace(model=model))
    for name in ('t3_cross_task', 't5_temporal'):
        model, _ = build_tier(name, tiny_synth)
        hook.before_train(SimpleNamespace(model=model))

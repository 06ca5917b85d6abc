"""MaxSightRunner: a runner built the mmengine way trains exactly what tools/train.py trains."""
import logging
import os.path as osp
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import RUNNERS

from maxsight.checkpoint_io import safe_load_checkpoint
from maxsight.engine.runner import MaxSightRunner, prepare_run_config

from ..helpers import NO_AFTER_TRAINING_HOOKS, ROOT, TINY_CONFIG


@pytest.fixture(scope='module')
def clip_data(tmp_path_factory):
    """8 train / 2 val images and 2 train / 1 val clips of 4 frames, 128x96."""
    from maxsight.datasets.synthetic import generate_synthetic_dataset
    root = str(tmp_path_factory.mktemp('clipdata'))
    generate_synthetic_dataset(root, num_train=8, num_val=2, seed=5, width=128, height=96,
                               num_train_clips=2, num_val_clips=1)
    return root


def _options(root: str, load_from: str = None) -> dict:
    opts = {f'{s}_dataloader.dataset.data_root': root + '/' for s in ('train', 'val', 'test')}
    opts['train_cfg.max_epochs'] = 1
    opts.update(NO_AFTER_TRAINING_HOOKS)
    if load_from:
        opts['load_from'] = load_from
        opts['quantization.float_checkpoint'] = load_from
    return opts


def _train_with_tool(config: str, work: str, opts: dict) -> None:
    args = [f'{k}={v}' for k, v in opts.items() if not (k.startswith('quantization') and
                                                         'qat' not in config)]
    proc = subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir', work,
                           '--cfg-options', *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _train_in_process(config: str, work: str, opts: dict) -> MaxSightRunner:
    cfg = Config.fromfile(osp.join(ROOT, config))
    if 'qat' not in config:
        opts = {k: v for k, v in opts.items() if not k.startswith('quantization')}
    cfg.merge_from_dict(opts)
    cfg.work_dir = work
    cfg.experiment_name = f'runner_equivalence_{time.time_ns()}'
    runner = RUNNERS.build(cfg)  # what mmdetection's tools do when runner_type is set
    assert isinstance(runner, MaxSightRunner)
    runner.train()
    return runner


def _assert_same_checkpoint(a: str, b: str) -> None:
    ca, cb = safe_load_checkpoint(a), safe_load_checkpoint(b)
    assert ca['state_dict'].keys() == cb['state_dict'].keys()
    for key, value in ca['state_dict'].items():
        assert torch.equal(value, cb['state_dict'][key]), key
    sa, sb = ca['optimizer']['state'], cb['optimizer']['state']
    assert sa.keys() == sb.keys()
    for idx in sa:
        for name, value in sa[idx].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(sb[idx][name])), name
    assert ca['meta']['dataset_meta'] == cb['meta']['dataset_meta']


@pytest.mark.slow
def test_runners_build_equals_train_tool_for_t2_qat_and_t5_finetune(clip_data, tmp_path):
    # the float start of both; t2_qat inherits t2_default, so its pair covers the default
    _train_in_process('configs/t2_default.py', str(tmp_path / 't2'), _options(clip_data))
    float_ckpt = str(tmp_path / 't2' / 'epoch_1.pth')
    for config in ('configs/t2_qat.py', 'configs/t5_temporal_finetune.py'):
        name = osp.splitext(osp.basename(config))[0]
        tool, api = str(tmp_path / f'{name}_tool'), str(tmp_path / f'{name}_api')
        _train_with_tool(config, tool, _options(clip_data, float_ckpt))
        runner = _train_in_process(config, api, _options(clip_data, float_ckpt))
        _assert_same_checkpoint(osp.join(tool, 'epoch_1.pth'), osp.join(api, 'epoch_1.pth'))
        if 'qat' in config:  # fake quantisation is in the trained model
            assert any('activation_post_process' in k
                       for k in runner.bare_model.state_dict())
        else:  # load_from was transferred, not loaded non-strictly
            assert runner.cfg.transfer_from == float_ckpt and runner.cfg.load_from is None
            # ClipValLoop ran after the epoch; ClipTestLoop scores one result per frame
            assert type(runner.val_loop).__name__ == 'ClipValLoop'
            metrics = runner.test()
            assert type(runner.test_loop).__name__ == 'ClipTestLoop'
            assert runner.test_loop.evaluator.num_frames == 4  # 1 val clip of 4 frames
            assert 'coco/bbox_mAP' in metrics and 'urgency/acc' in metrics


def test_prepare_run_config_fills_work_dir_condition_and_classes(tiny_synth):
    cfg = Config.fromfile(osp.join(ROOT, 'tests/configs/tiny_t2.py'))
    cfg.merge_from_dict({f'{s}_dataloader.dataset.data_root': tiny_synth + '/'
                         for s in ('train', 'val', 'test')})
    cfg.vision_condition = 'glaucoma'
    prepare_run_config(cfg)
    assert cfg.work_dir == osp.join('work_dirs', 'tiny_t2_glaucoma')
    assert cfg.model.bbox_head.num_classes == 8
    for split in ('train', 'val', 'test'):
        types = [t['type'] for t in cfg[f'{split}_dataloader'].dataset.pipeline]
        assert types.count('GlaucomaPeripheralGain') == 1, (split, types)
        assert types.index('GlaucomaPeripheralGain') == types.index('LoadImageFromFile') + 1
    assert cfg.val_evaluator[0].ann_file == osp.join(tiny_synth + '/', 'annotations/val.json')


def test_training_over_an_earlier_run_is_refused_and_load_from_becomes_a_transfer(
        tiny_synth, tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, 'tests/configs/tiny_t2.py'))
    cfg.merge_from_dict({f'{s}_dataloader.dataset.data_root': tiny_synth + '/'
                         for s in ('train', 'val', 'test')})
    cfg.work_dir = str(tmp_path)
    cfg.load_from = 'elsewhere/epoch_3.pth'
    prepared = prepare_run_config(cfg.copy())
    assert prepared.transfer_from == 'elsewhere/epoch_3.pth' and prepared.load_from is None
    (tmp_path / 'epoch_2.pth').write_bytes(b'')
    with pytest.raises(FileExistsError, match=r'already holds checkpoints .*epoch_2\.pth'):
        prepare_run_config(cfg.copy())
    cfg.resume, cfg.load_from = True, None  # --resume, no complete checkpoint: still refused
    with pytest.raises(FileExistsError):
        prepare_run_config(cfg.copy())
    cfg.work_dir = str(tmp_path / 'fresh')  # --resume in an empty work dir: a fresh start
    assert prepare_run_config(cfg.copy()).resume is False


def test_frame_count_evaluator_evaluates_the_frames_not_the_clips():
    from mmengine.evaluator import BaseMetric

    from maxsight.engine.loops import FrameCountEvaluator

    class Sizes(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.extend(data_samples)

        def compute_metrics(self, results):
            return dict(n=len(results))
    evaluator = FrameCountEvaluator([Sizes()], num_frames=7)
    evaluator.process(data_samples=[dict(a=i) for i in range(7)])
    assert evaluator.evaluate(2) == {'n': 7}  # mmengine would pass len(dataset) = 2 clips


@pytest.mark.parametrize('config, epochs', [('configs/t2_default.py', 3),
                                            ('configs/t2_qat.py', 2)])
def test_cosine_schedule_ends_with_max_epochs(config, epochs, tiny_synth, tmp_path):
    """No end / T_max in the configs: the cosine follows a changed train_cfg.max_epochs."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({f'{s}_dataloader.dataset.data_root': tiny_synth + '/'
                         for s in ('train', 'val', 'test')})
    cfg.merge_from_dict({'train_cfg.max_epochs': epochs, 'train_dataloader.batch_size': 8,
                         'load_from': None, 'quantization': None})
    cfg.work_dir, cfg.experiment_name = str(tmp_path), f'schedule_{time.time_ns()}'
    runner = RUNNERS.build(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    runner.logger.addHandler(handler)
    try:
        cosine = [s for s in runner.build_param_scheduler(runner.param_schedulers)
                  if type(s).__name__ == 'CosineAnnealingLR']
    finally:
        runner.logger.removeHandler(handler)
    iters = epochs * 3  # 24 training images in batches of 8
    assert len(cosine) == 1 and cosine[0].T_max == iters and cosine[0].end == iters
    # the resolved schedule is in the log, in this run's iterations; it reaches the end
    warm = f'LinearLR(lr) iterations 0-{iters} [start_factor=0.01, end_factor=1]; '
    assert [r.getMessage() for r in records
            if r.getMessage().startswith('parameter schedule')] == [
        f'parameter schedule over {iters} iterations ({epochs} epochs x 3): '
        + (warm if config == 'configs/t2_default.py' else '')
        + f'CosineAnnealingLR(lr) iterations 0-{iters} [T_max={iters}, '
        f'eta_min={cosine[0].eta_min:g}]']


def test_schedule_report_names_each_span_and_warns_when_the_schedule_stops_early():
    from mmengine.optim import OptimWrapper
    from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR, MultiStepLR

    from maxsight.engine.schedule_report import describe_schedule, long_warmup, schedule_gap
    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    warm = LinearLR(wrapper, start_factor=0.1, by_epoch=False, begin=0, end=50)
    cosine = CosineAnnealingLR.build_iter_from_epoch(wrapper, by_epoch=True, begin=0, end=10,
                                                     eta_min=0.0, epoch_length=30)
    assert schedule_gap([warm, cosine], 300, 30) is None
    # a cosine fixed at 10 epochs in a 30-epoch run: 600 iterations at the floor
    gap = schedule_gap([warm, cosine], 900, 30)
    assert gap.startswith('the parameter schedule ends at iteration 300 of 900: the last '
                          '600 iterations train at a constant learning rate')
    steps = MultiStepLR(wrapper, milestones=[8, 4], gamma=0.5, by_epoch=True, begin=0, end=12)
    assert schedule_gap([steps], 360, 30) is None and schedule_gap([steps], 390, 30)
    assert describe_schedule([steps, warm], 120, 30) == (
        'parameter schedule over 120 iterations (4 epochs x 30): MultiStepLR(lr) epochs 0-4 '
        '[milestones=[4, 8], gamma=0.5]; LinearLR(lr) iterations 0-50 [start_factor=0.1, '
        'end_factor=1]')
    assert describe_schedule([], 10) == 'parameter schedule over 10 iterations: none'
    assert long_warmup([warm, cosine], 200) is None  # 50 of 200 iterations: a quarter
    assert long_warmup([warm, cosine], 199) == (
        'the LinearLR warm-up covers iterations 0-50 of a 199-iteration run; shorten it '
        '(param_scheduler[...].end) for a short run')


def test_amp_sets_mmengines_wrapper_with_the_dtype_and_refuses_without_a_gpu(monkeypatch):
    import pytest
    from mmengine.config import Config

    from maxsight.engine.runner import apply_amp
    base = dict(optim_wrapper=dict(type='GuardedOptimWrapper', clip_grad=dict(max_norm=10.0),
                                   optimizer=dict(type='AdamW', lr=1e-3)))
    monkeypatch.setattr('torch.cuda.is_available', lambda: False)
    apply_amp(Config(dict(base, amp=None)))  # fp32 on the CPU is fine
    for amp in ('float16', True):
        with pytest.raises(ValueError, match='needs a CUDA GPU; none is visible'):
            apply_amp(Config(dict(base, amp=amp)))
    with pytest.raises(ValueError, match='AmpOptimWrapper needs a CUDA GPU'):
        apply_amp(Config(dict(optim_wrapper=dict(type='AmpOptimWrapper'))))
    monkeypatch.setattr('torch.cuda.is_available', lambda: True)
    for amp, dtype in (('bfloat16', 'bfloat16'), (True, 'float16'), ('float16', 'float16')):
        cfg = Config(dict(base, amp=amp))
        apply_amp(cfg)
        assert cfg.amp == dtype
        assert cfg.optim_wrapper.to_dict() == dict(
            type='AmpOptimWrapper', dtype=dtype, loss_scale='dynamic',
            clip_grad=dict(max_norm=10.0), optimizer=dict(type='AdamW', lr=1e-3))
    with pytest.raises(ValueError, match="amp must be one of float16, bfloat16"):
        apply_amp(Config(dict(base, amp='int8')))


def test_train_tool_amp_flag_sets_the_dtype():
    import importlib.util
    spec = importlib.util.spec_from_file_location('train_tool', 'tools/train.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    def amp(*flags):
        return tool.build_config(tool.parse_args([TINY_CONFIG, *flags])).amp
    assert (amp('--amp'), amp('--amp', 'bfloat16'), amp()) == ('float16', 'bfloat16', None)


def test_any_default_hook_is_switched_off_with_none():
    from maxsight.engine.runner import drop_switched_off_hooks
    cfg = Config(dict(default_hooks=dict(checkpoint=None, training_plots=None,
                                         visualization=dict(type='ShowPredictionsHook'))))
    drop_switched_off_hooks(cfg)
    assert cfg.default_hooks.to_dict() == dict(checkpoint=None,  # mmengine removes it itself
                                               visualization=dict(type='ShowPredictionsHook'))


def test_a_checkpoints_operating_point_reaches_model_and_metric_unless_switched_off():
    from types import SimpleNamespace

    from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric
    from ..helpers import tiny_model
    op = dict(hazard_prob_thr=0.2, hazard_score_exponent=0.6, score_thr=0.45,
              hazard_recall=0.96, hazard_recall_ci_low=0.9, hazard_recall_ci_high=0.99,
              hazards=50, recall_target=0.95, meets_target=True, false_alerts_per_image=1.0,
              false_safe_rate=0.0, split='val')
    messages = []
    for use in (True, False):
        metric = AssistiveMetric()
        fake = SimpleNamespace(
            cfg=Config(dict(use_operating_point=use)), bare_model=tiny_model(),
            _val_loop=None, _test_loop=SimpleNamespace(evaluator=SimpleNamespace(
                metrics=[metric])), logger=SimpleNamespace(info=messages.append))
        MaxSightRunner._use_operating_point(fake, {'meta': {'operating_point': op}}, 'c.pth')
        head = fake.bare_model.bbox_head.test_cfg
        if use:
            assert (head['hazard_prob_thr'], head['hazard_score_exponent'],
                    metric.score_thr) == (0.2, 0.6, 0.45)
        else:
            assert (head['hazard_prob_thr'], metric.score_thr) == (0.1, 0.3)
    assert messages[0].startswith('using the operating point (set on val): hazard_prob_thr 0.2')
    assert 'not used (use_operating_point=False)' in messages[1]
    MaxSightRunner._use_operating_point(fake, {'meta': {}}, 'c.pth')  # none: nothing to do
    assert len(messages) == 2

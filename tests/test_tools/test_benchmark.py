"""The analysis tools: the FLOP accounting behind 'fraction of peak', the peer, the
training-step profile."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.structures import InstanceData

from maxsight.analysis import speed as bench
from maxsight.analysis.peer_training import peer_lr, to_original
from maxsight.structures import DetDataSample

from ..helpers import ROOT, tier_config


def test_measure_counts_training_flops_per_image_exactly():
    a, b = torch.randn(64, 96), torch.randn(96, 32)
    row = bench.measure('matmul', lambda i: a @ b, lambda bs: a @ b, batch_size=4, iters=2,
                        warmup=0, device=torch.device('cpu'), peak=1e12)
    assert row['train_gflops_per_img'] == 2 * 64 * 96 * 32 / 4 / 1e9
    assert abs(row['train_flops_fraction_of_peak'] -
               row['train_gflops_per_img'] * 1e9 * row['train_img_s'] / 1e12) < 1e-15
    assert row['infer_img_s_b8'] > 0 and row['train_peak_mb'] > 0


def test_a_clip_counts_its_frames_as_images():
    a, b = torch.randn(64, 96), torch.randn(96, 32)
    row = bench.measure('matmul', lambda i: a @ b, lambda bs: a @ b, batch_size=4, iters=2,
                        warmup=0, device=torch.device('cpu'), peak=1e12, frames=3)
    assert row['train_gflops_per_img'] == 2 * 64 * 96 * 32 / 12 / 1e9
    clips = dict(inputs=[torch.zeros(3, 3, 8, 8), torch.ones(3, 3, 8, 8)],
                 data_samples=[['a0', 'a1', 'a2'], ['b0', 'b1', 'b2']],
                 padding_mask=[torch.zeros(3, dtype=torch.bool)] * 2)
    assert bench.frames_per_item(clips) == 3
    frames = bench.as_frames(clips)
    assert frames['data_samples'] == ['a0', 'a1', 'a2', 'b0', 'b1', 'b2']
    assert [float(f.mean()) for f in frames['inputs']] == [0, 0, 0, 1, 1, 1]
    images = dict(inputs=[torch.zeros(3, 8, 8)], data_samples=['c'])
    assert bench.frames_per_item(images) == 1 and bench.as_frames(images) is images


@pytest.mark.slow
def test_the_benchmark_runs_a_clip_config(tmp_path, monkeypatch):
    """T5's clip batches used to crash the benchmark's inference step."""
    monkeypatch.setattr(bench, 'fp32_peak_flops', lambda device: dict(peak=1e12))
    cfg = tier_config('t5_temporal', str(tmp_path / 'synth'))
    out = bench.run_benchmark(cfg, iters=1, warmup=0, peer='none')
    assert out['frames_per_item'] == 4 and out['batch_size'] == 2
    assert out['maxsight']['infer_img_s_b8'] > 0
    assert out['maxsight']['train_gflops_per_img'] > 0


def test_the_peer_sees_a_clip_batch_as_its_frames(monkeypatch):
    seen = []

    class Peer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, images, targets=None):
            seen.append((len(images), None if targets is None else len(targets)))
            return dict(loss=self.w * 1.0) if self.training else []

    monkeypatch.setattr(bench, 'fcos_resnet18_fpn', lambda num_classes, size: Peer())
    sample = DetDataSample()
    sample.gt_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                       labels=torch.zeros(0, dtype=torch.long))
    clips = dict(inputs=[torch.zeros(3, 3, 8, 8)] * 2, data_samples=[[sample] * 3] * 2,
                 padding_mask=[torch.zeros(3, dtype=torch.bool)] * 2)
    train, infer = bench.fcos_fns(4, [clips, clips], torch.device('cpu'), lr=1e-3)
    train(0)
    infer(1)
    infer(8)  # 8 clips asked, 4 clips (12 frames) preloaded
    assert seen == [(6, 6), (3, None), (12, None)]


def test_fp32_peak_is_the_better_of_matmul_and_convolution_counted_like_the_models(
        monkeypatch):
    """The convolution's FLOPs are what torch's counter says of the same convolution (so a
    model's fraction of it compares like with like), and the peak is the larger rate."""
    from maxsight.analysis import common
    seen = {}

    def fake_rate(fn, flops, reps, device):
        counted = common.count_flops(fn)
        seen.setdefault('counted', []).append(counted)
        return flops if flops == counted else -1.0
    monkeypatch.setattr(common, '_best_rate', fake_rate)
    rates = common.fp32_peak_flops(torch.device('cpu'))
    assert rates['matmul'] == 2 * 2048 ** 3
    assert rates['conv'] == 2 * 8 * 256 * 256 * 9 * 48 * 48
    assert rates['peak'] == max(rates['matmul'], rates['conv']) == rates['conv']
    assert set(rates) == {'matmul', 'conv', 'peak'}


def test_processor_name_says_family_model_and_vector_width(tmp_path):
    """Two machines both called "AMD EPYC" differ in vector width and so in peak: the name
    a benchmark prints carries the family, model and widest vector instructions, read
    from the first processor's entry."""
    from maxsight.analysis.common import processor_name
    info = tmp_path / 'cpuinfo'
    info.write_text('processor\t: 0\ncpu family\t: 25\nmodel\t\t: 17\n'
                    'model name\t: AMD EPYC\nflags\t\t: fpu avx avx2 avx512f avx512bw\n\n'
                    'processor\t: 1\ncpu family\t: 26\nmodel\t\t: 2\n'
                    'model name\t: Other\nflags\t\t: fpu\n')
    cpu = torch.device('cpu')
    assert processor_name(cpu, str(info)) == 'AMD EPYC, family 25 model 17, AVX-512'
    info.write_text('model name\t: Some CPU\nflags\t\t: sse avx avx2\n')
    assert processor_name(cpu, str(info)) == 'Some CPU, AVX2'
    assert processor_name(cpu, str(tmp_path / 'missing')) == ''


def test_peer_schedule_starts_at_the_full_rate_by_default_and_ends_at_one_percent():
    """No warm-up by default; the cosine runs from the rate to 1 % of it at the iterations
    the budget allows."""
    import inspect
    from maxsight.analysis.peer_training import train_peer
    assert inspect.signature(train_peer).parameters['warmup_iters'].default == 0
    assert peer_lr(0, 1e-3, 0, None) == 1e-3
    assert peer_lr(0, 1e-3, 150, None) == 1e-3 * 0.01
    assert abs(peer_lr(75, 1e-3, 150, None) - 1e-3 * (0.01 + 0.99 * 0.5)) < 1e-15
    assert peer_lr(160, 1e-3, 150, None) == 1e-3
    assert abs(peer_lr(100, 1e-3, 0, 200) - 1e-3 * (0.01 + 0.99 * 0.5)) < 1e-15
    assert abs(peer_lr(200, 1e-3, 0, 200) - 1e-5) < 1e-18
    assert peer_lr(300, 1e-3, 0, 200) == peer_lr(200, 1e-3, 0, 200)


def test_peer_budget_counts_iterations_at_the_rate_after_the_first():
    from maxsight.analysis.peer_training import budget_iterations
    # 20 done in 50 s, the first (with the start-up) took 12 s: 19 in 38 s = 0.5 it/s,
    # then 2050 s left -> 1025 more; counting from 0 s would say 20 * 2100 / 50 = 840
    assert budget_iterations(20, 12.0, 50.0, 2100.0) == 1045
    assert budget_iterations(20, 12.0, 2200.0, 2100.0) == 20


def test_fcos_peer_is_resnet18_fpn_from_scratch():
    from maxsight.models.peers import fcos_resnet18_fpn
    model = fcos_resnet18_fpn(num_classes=8, img_hw=(96, 128))
    body = model.backbone.body
    assert body.layer4[0].conv1.in_channels == 256  # ResNet-18/34 widths, BasicBlocks
    assert len(body.layer1) == 2 and len(body.layer4) == 2  # ResNet-18 depth
    assert model.head.classification_head.num_classes == 8
    # from scratch: trainable BatchNorm (torchvision's FrozenBatchNorm2d default would
    # freeze every BN as the identity of a random init)
    norms = [m for m in body.modules() if 'BatchNorm' in type(m).__name__]
    assert len(norms) == 20 and all(type(m) is torch.nn.BatchNorm2d for m in norms)
    assert all(m.weight.requires_grad for m in norms)
    model.eval()
    with torch.no_grad():
        out = model([torch.rand(3, 96, 128)])
    assert set(out[0]) == {'boxes', 'scores', 'labels'}


def test_fcos_peer_starts_with_boxes_that_have_area():
    """At torchvision's bias 0 about half of the ReLU'd distances start at 0: boxes with no
    area, which GIoU cannot grow."""
    from maxsight.models.peers import fcos_resnet18_fpn
    torch.manual_seed(0)
    model = fcos_resnet18_fpn(num_classes=8, img_hw=(96, 128)).eval()
    pre = []
    model.head.regression_head.bbox_reg.register_forward_hook(
        lambda m, i, o: pre.append(o.flatten()))
    with torch.no_grad():
        model([torch.rand(3, 96, 128)])
    pre = torch.cat(pre)
    assert (pre > 0).float().mean() > 0.99
    assert 0.9 < pre.mean() < 1.1  # one anchor size on each side


def test_peer_detections_go_back_to_original_pixels_with_file_category_ids():
    from maxsight.evaluation.metrics.coco_metric import to_coco_results
    det = dict(boxes=torch.tensor([[10.0, 20.0, 50.0, 60.0]]), scores=torch.tensor([0.9]),
               labels=torch.tensor([1]))
    res = to_original(det, dict(img_id=7, scale_factor=(0.5, 0.25)))
    assert res['bboxes'].tolist() == [[20.0, 80.0, 100.0, 240.0]]
    coco = to_coco_results([res], cat_ids=[3, 11])
    assert coco[0]['image_id'] == 7 and coco[0]['category_id'] == 11
    assert coco[0]['bbox'] == [20.0, 80.0, 80.0, 160.0]


@pytest.mark.slow
def test_train_peer_overfit_trains_and_evaluates_on_the_same_training_images(tiny_synth):
    """--overfit N: the sanity check of the peer's training path evaluates exactly the first
    N training images, against the training annotation file."""
    spec = importlib.util.spec_from_file_location(
        'maxsight_train_peer2', osp.join(ROOT, 'tools', 'analysis_tools', 'train_peer.py'))
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    opts = [f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val')]
    out = peer.main([osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py'), '--minutes', '0.02',
                     '--warmup', '1', '--overfit', '4', '--cfg-options', *opts])
    assert out['overfit'] == 4 and out['evaluated_images'] == 4 and out['iterations'] >= 1
    assert 0.0 <= out['coco/bbox_mAP'] <= 1.0
    # the diagnosis of a peer that scores nothing: how much it detected, how sure it was
    assert 0 <= out['detections_per_image'] <= 100 and 0.0 <= out['max_score'] <= 1.0
    assert (out['detections_per_image'] == 0) == (out['max_score'] == 0.0)
    assert out['final_loss'] > 0
    parts = out['final_losses']  # which of FCOS's losses a peer that scores nothing is stuck on
    assert set(parts) == {'classification', 'bbox_regression', 'bbox_ctrness'}
    assert abs(sum(parts.values()) - out['final_loss']) < 1e-4
    with pytest.raises(ValueError, match='--overfit must be >= 1'):
        peer.main([osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py'), '--minutes', '0.01',
                   '--overfit', '0', '--cfg-options', *opts])


def test_profile_train_sections_nest_and_fit_in_the_step(tiny_synth):
    spec = importlib.util.spec_from_file_location(
        'maxsight_profile_train', osp.join(ROOT, 'tools', 'analysis_tools', 'profile_train.py'))
    prof = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prof)
    out = prof.main([osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py'), '--iters', '4',
                     '--warmup', '0', '--cfg-options',
                     f'train_dataloader.dataset.data_root={tiny_synth}/',
                     'model.balancer.type=GradNorm', 'model.balancer.update_interval=4',
                     'model.balancer.shared_params=[pyramid_attention]'])
    ms = out['sections_ms']
    assert 0 < ms['    Hungarian matching'] <= ms['  head losses (incl. matching)'] \
        <= ms['forward + losses']
    assert ms['GradNorm task-weight update'] > 0  # step 0 of 4 updates the task weights
    top = ('data preprocessor', 'forward + losses', 'GradNorm task-weight update',
           'backward', 'optimiser step')
    assert all(ms[k] > 0 for k in top)
    assert sum(ms[k] for k in top) <= out['step_ms']


def test_with_backbone_swaps_backbone_and_neck_and_rejects_unknown_names():
    from mmengine.config import Config
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    out = bench.with_backbone(cfg, 'efficientnet_b0')
    assert out.model.backbone == dict(type='TorchvisionBackbone', arch='efficientnet_b0',
                                      out_indices=(1, 2, 3))
    assert out.model.neck.in_channels == [40, 112, 320]
    assert cfg.model.backbone.type == 'LiteResNet'  # the original is untouched
    with pytest.raises(ValueError, match="--backbones: unknown 'vgg'"):
        bench.run_benchmark(cfg, backbones=['vgg'])


def test_scaling_curves_report_every_size_and_object_count():
    from mmengine.config import Config

    from maxsight.analysis.scaling import generated_batch, image_size_curve, matching_curve
    batch = generated_batch(64, 2, 5, num_classes=3)
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 64, 64)] * 2
    boxes = batch['data_samples'][0].gt_instances.bboxes
    assert boxes.shape == (5, 4) and (boxes[:, 2:] > boxes[:, :2]).all() and boxes.max() <= 64
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    cfg.model.bbox_head.num_classes = 3
    sizes = image_size_curve(cfg, [64, 96], iters=1, warmup=0)
    assert [r['size'] for r in sizes] == [64, 96]
    assert all(r['train_s_per_img'] > 0 and r['infer_s_per_img'] > 0 for r in sizes)
    rows = matching_curve(cfg, 128, [1, 3, 40], iters=1, warmup=0)
    locations = (128 // 8) ** 2 + (128 // 16) ** 2 + (128 // 32) ** 2  # 336
    assert [r['locations'] for r in rows] == [locations] * 3
    assert rows[0]['candidate_rows'] == 4  # one object, one-to-4: its 4 cheapest
    assert rows[1]['candidate_rows'] <= 12 * 3
    assert rows[2]['candidate_rows'] == locations  # 160 x 40 columns >= 336: every row


@pytest.mark.slow
def test_benchmark_measures_a_changed_config_in_the_same_run(tiny_synth, monkeypatch):
    """--changed-options: a second MaxSight row and its ratios to the config's; two stacked
    convs per head tower instead of the tiny config's one have more training FLOPs."""
    spec = importlib.util.spec_from_file_location(
        'maxsight_benchmark', osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(bench, 'fp32_peak_flops', lambda device: dict(matmul=1e11, peak=1e11))
    out = tool.main([osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py'), '--iters', '1',
                     '--warmup', '0', '--peer', 'none', '--cfg-options',
                     f'train_dataloader.dataset.data_root={tiny_synth}/',
                     '--changed-options', 'model.bbox_head.stacked_convs=2'])
    base, changed = out['maxsight'], out['maxsight_changed']
    ratio = out['ratio_changed_over_config']
    assert changed['train_gflops_per_img'] > base['train_gflops_per_img']
    assert ratio['train_gflops_per_img'] == changed['train_gflops_per_img'] / \
        base['train_gflops_per_img']
    assert set(ratio) == set(base) and 'fcos_r18' not in out

"""Regularisation from config: drop path in the transformer, auxiliary head, EMA."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from maxsight.engine.checkpoint import safe_load_checkpoint
from maxsight.models.balancers import StaticWeights
from maxsight.models.layers.drop_path_encoder_layer import DropPathEncoderLayer
from maxsight.models.necks.coarse_level_encoder import CoarseLevelEncoder
from maxsight.registry import MODELS
from ..helpers import build_tier

from ..helpers import ROOT  # noqa: E402
CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


def test_drop_path_drops_whole_samples_at_its_rate_and_is_identity_in_eval():
    torch.manual_seed(0)
    layer = DropPathEncoderLayer(16, 2, 32, drop_path=0.5)
    x = torch.randn(2000, 5, 16)
    layer.train()
    y = layer(x)
    both_dropped = (y == x).flatten(1).all(1).float().mean().item()
    assert abs(both_dropped - 0.25) < 0.03  # each branch kept with p 0.5: both gone 1/4
    layer.eval()
    ref = torch.nn.TransformerEncoderLayer(16, 2, 32, 0.0, batch_first=True, norm_first=True)
    ref.load_state_dict(layer.state_dict())
    ref.eval()
    assert torch.allclose(layer(x), ref(x), atol=1e-6)


def test_encoder_drop_path_rises_linearly_over_layers():
    enc = CoarseLevelEncoder(channels=16, num_layers=3, num_heads=2, ffn_channels=32,
                             drop_path=0.2)
    assert [round(lyr.drop_path.p, 6) for lyr in enc.encoder.layers] == [0.0, 0.1, 0.2]


def test_aux_head_loss_is_weighted_head_loss_on_intermediate_features(tiny_synth):
    model, data = build_tier('t2_default', tiny_synth)
    assert model.aux_head is None
    cfg = Config.fromfile('configs/t2_default.py')
    cfg.model.bbox_head.num_classes = 8
    cfg.model.bbox_head.test_cfg.update(max_per_img=100, score_thr=0.0)
    cfg.model.aux_head = dict(stacked_convs=1)
    cfg.model.aux_weight = 0.25
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    def size(m):
        return sum(p.numel() for p in m.parameters())
    assert size(model.aux_head.cls_tower) * 2 == size(model.bbox_head.cls_tower)
    losses = model(**data, mode='loss')
    aux = {k for k in losses if k.startswith('aux_')}
    assert aux == {f'aux_{k}' for k in losses if k.startswith('loss')}
    inter = model.intermediate_feat(data['inputs'], data['data_samples'])
    direct = model.aux_head.loss(inter, data['data_samples'])
    for k, v in direct.items():
        assert torch.allclose(losses[f'aux_{k}'], 0.25 * v)
    # aux losses join their main loss's task; the aux head gets gradient
    grouped = StaticWeights().task_losses(losses)
    assert set(grouped) == {'cls', 'box', 'distance', 'urgency'}
    assert torch.allclose(grouped['cls'], losses['loss_cls'] + losses['loss_obj'] +
                          losses['aux_loss_cls'] + losses['aux_loss_obj'])
    sum(losses.values()).backward()
    assert model.aux_head.cls_out.weight.grad.abs().sum() > 0
    # prediction does not use it
    model.eval()
    with torch.no_grad():
        before = model(**data, mode='tensor')['cls'].clone()
        for p in model.aux_head.parameters():
            p.add_(1.0)
        assert torch.equal(before, model(**data, mode='tensor')['cls'])


def _run(args):
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def _detections(path):
    with open(path) as f:
        return sorted((d['image_id'], d['category_id'], round(d['score'], 6),
                       tuple(round(v, 3) for v in d['bbox'])) for d in json.load(f))


@pytest.mark.slow
def test_ema_weights_are_validated_and_saved(tiny_synth, tmp_path):
    """EMAHook from config: validation runs on the averaged weights, the checkpoint holds
    both sets, and tools/test.py evaluates the averaged ones (what validation saw)."""
    work = str(tmp_path / 'ema')
    data = [f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val', 'test')]
    val_pred = str(tmp_path / 'val_pred.json')
    _run(['tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
          'train_cfg.max_epochs=1', *data, 'default_hooks.ema.type=EMAHook',
          'default_hooks.ema.momentum=0.2', f'val_evaluator.0.pred_out={val_pred}'])
    ckpt = safe_load_checkpoint(osp.join(work, 'epoch_1.pth'))
    # mmengine stores the EMA weights as state_dict and the raw ones as ema_state_dict
    raw = {k[len('module.'):]: v for k, v in ckpt['ema_state_dict'].items()
           if k.startswith('module.')}
    moved = [k for k, v in ckpt['state_dict'].items() if not torch.equal(v, raw[k])]
    assert len(moved) > len(raw) // 2
    ema_pred = str(tmp_path / 'ema_pred.json')
    _run(['tools/test.py', CONFIG, osp.join(work, 'epoch_1.pth'), '--work-dir', work,
          '--pred-out', ema_pred, '--cfg-options', *data,
          'use_operating_point=False'])  # the validation's own post-processing
    raw_ckpt = str(tmp_path / 'raw.pth')
    torch.save({'state_dict': raw, 'meta': {}}, raw_ckpt)
    raw_pred = str(tmp_path / 'raw_pred.json')
    _run(['tools/test.py', CONFIG, raw_ckpt, '--work-dir', work, '--pred-out', raw_pred,
          '--cfg-options', *data])
    validated = _detections(val_pred)
    assert len(validated) == 8 * 100  # top-100 of each of the 8 val images
    assert validated == _detections(ema_pred)
    assert validated != _detections(raw_pred)


class _SizedOnFirstUse(torch.nn.Module):
    """A weight and a buffer that, like a per-channel observer's statistics, gets its
    size on the first forward."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(3))
        self.register_buffer('stat', torch.zeros(1))

    def forward(self, x):
        if self.stat.shape != x.shape[1:]:
            self.stat = x.detach().mean(0)
        return x * self.w


def test_ema_adopts_buffers_sized_after_the_copy_and_on_resume():
    from maxsight.models.ema import ExponentialMovingAverage
    src = _SizedOnFirstUse()
    ema = ExponentialMovingAverage(src, momentum=0.5, update_buffers=True)
    src(torch.full((2, 3), 2.0))
    with torch.no_grad():
        src.w.mul_(3.0)
    ema.update_parameters(src)  # the first update copies; the buffer is now [3]
    ema.update_parameters(src)  # then averages: 0.5 x 3 + 0.5 x 3
    assert ema.module.stat.tolist() == [2.0, 2.0, 2.0]
    assert ema.module.w.tolist() == [3.0, 3.0, 3.0]
    with torch.no_grad():
        src.w.fill_(5.0)
    ema.update_parameters(src)
    assert ema.module.w.tolist() == [4.0, 4.0, 4.0]  # (1 - 0.5) x 3 + 0.5 x 5
    fresh = ExponentialMovingAverage(_SizedOnFirstUse(), momentum=0.5, update_buffers=True)
    fresh.load_state_dict(ema.state_dict())  # a resumed run's copy is unsized
    assert fresh.module.stat.tolist() == [2.0, 2.0, 2.0]
    assert fresh.module.w.tolist() == [4.0, 4.0, 4.0]
    assert int(fresh.steps) == int(ema.steps) == 3


def test_t5_aux_losses_leave_out_padded_frames(tiny_synth):
    """T5 with an auxiliary head and a padded frame: the aux losses are the aux head's
    losses on the valid frames' intermediate features and samples alone."""
    from ..helpers import tier_config
    cfg = tier_config('t5_temporal', tiny_synth)
    cfg.model.aux_head = dict(stacked_convs=1)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    data = model.data_preprocessor(batch, training=True)
    mask = data['padding_mask'].clone()
    mask.view(-1)[-1] = True  # the last frame of the last clip becomes padding
    data['padding_mask'] = mask
    losses = model(**data, mode='loss')
    valid = ~mask.flatten()
    kept = [s for s, v in zip(data['data_samples'], valid.tolist()) if v]
    with torch.no_grad():
        inter = model.intermediate_feat(data['inputs'], data['data_samples'])
        preds = model.aux_head(inter)
        preds = {k: (v if k == 'points' else v[valid]) for k, v in preds.items()}
        direct = model.aux_head.loss_by_preds(preds, kept)
    assert len(kept) == len(valid) - 1
    for k, v in direct.items():
        assert torch.allclose(losses[f'aux_{k}'], model.aux_weight * v), k

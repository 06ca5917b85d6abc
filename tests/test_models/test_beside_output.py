"""The head's ``beside`` output (hazards heard beside the view): its shape, that a mirrored
scene gives the mirrored answer, its loss only over images that say, and its prediction."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from maxsight.registry import MODELS

from ..helpers import build_tier, synthetic_batch


def _head(beside_out=True):
    cfg = Config.fromfile('tests/configs/tiny_t2.py').model.bbox_head
    cfg = dict(cfg, num_classes=3, beside_out=beside_out)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _feats(batch=2):
    torch.manual_seed(1)
    return [torch.randn(batch, 32, 12 // 2 ** i, 16 // 2 ** i) for i in range(3)]


def test_beside_logits_read_the_outermost_columns_one_layer_for_both_sides():
    head = _head()
    feats = _feats()
    out = head(feats)['beside']
    assert tuple(out.shape) == (2, 2, 2)
    rows = feats[-1].mean(2)
    expected = torch.stack([rows[..., 0], rows[..., -1]], 1) @ head.beside_out.weight.T \
        + head.beside_out.bias
    assert torch.allclose(out, expected, atol=1e-6)
    mirrored = head([f.flip(-1) for f in feats])['beside']
    assert torch.allclose(mirrored, out.flip(1), atol=1e-6)  # left and right trade places
    inner = [f.clone() for f in feats]
    inner[-1][..., 1:-1] += 5.0  # columns between the edges do not move it
    assert torch.allclose(head(inner)['beside'], out, atol=1e-6)
    assert 'beside' not in _head(beside_out=False)(feats)


def _labelled(batch, labels):
    for sample, label in zip(batch['data_samples'], labels):
        sample.set_metainfo(dict(beside_hazard=None if label is None
                                 else np.array(label, np.float32)))
    return batch['data_samples']


def test_beside_loss_is_the_cross_entropy_of_the_images_that_say():
    head = _head()
    feats = _feats()
    preds = head(feats)
    samples = _labelled(synthetic_batch(), [[1, 0], None])
    loss = head.loss_by_preds(preds, samples)['loss_beside']
    by_hand = 0.2 * torch.nn.functional.cross_entropy(preds['beside'][0], torch.tensor([1, 0]))
    assert torch.allclose(loss, by_hand, atol=1e-6)
    samples = _labelled(synthetic_batch(), [None, None])
    preds = head(feats)
    loss = head.loss_by_preds(preds, samples)['loss_beside']
    assert float(loss.detach()) == 0.0 and loss.requires_grad  # kept in the graph for DDP
    assert 'loss_beside' not in _head(beside_out=False).loss_by_preds(
        _head(beside_out=False)(feats), samples)


def test_beside_prediction_is_the_hazard_probability_per_side():
    head = _head().eval()
    feats = _feats()
    samples = _labelled(synthetic_batch(), [None, None])
    out = head.predict(feats, samples)
    probs = head(feats)['beside'].softmax(-1)[..., 1]
    for b, sample in enumerate(out):
        assert sample.metainfo['pred_beside_hazard'] == pytest.approx(probs[b].tolist())


def test_t4s_beside_output_follows_the_sound_from_the_side(tiny_synth):
    """T4 hears: after three training steps of the fusion and the output (both start from
    zero-initialised layers), louder sound in one ear changes the beside output; T3 has no
    such output."""
    model, data = build_tier('t4_cross_modal', tiny_synth)
    assert model.bbox_head.beside_out is not None
    assert build_tier('t3_cross_task', tiny_synth)[0].bbox_head.beside_out is None
    for s in data['data_samples']:
        s.set_metainfo(dict(beside_hazard=np.array([1, 0], np.float32)))
    model.train()
    params = list(model.audio_fusion.parameters()) + list(model.bbox_head.beside_out.parameters())
    opt = torch.optim.SGD(params, lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(**data, mode='loss')['loss_beside'].backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        before = model(**data, mode='tensor')['beside'].softmax(-1)[..., 1]
        for s in data['data_samples']:
            s.audio = s.audio.clone()
            s.audio[0] += 3.0  # the left ear, e^3 times the energy
        after = model(**data, mode='tensor')['beside'].softmax(-1)[..., 1]
    assert not torch.allclose(before, after, atol=1e-4)

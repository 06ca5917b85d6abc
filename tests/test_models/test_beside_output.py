"""The head's ``beside`` output (hazards heard beside the view): what it reads, that a
mirrored scene gives the mirrored answer, that it never bends the detector, its fit after
training, its loss where one is configured, and its prediction."""
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config

from maxsight.models.heads.beside_output import UNFITTED_HAZARD_LOGIT, BesideOutput
from maxsight.registry import MODELS

from ..helpers import build_tier, synthetic_batch

CE = dict(type='CrossEntropyLoss', loss_weight=0.2)


def _head(beside_out=True, **kw):
    cfg = Config.fromfile('tests/configs/tiny_t2.py').model.bbox_head
    cfg = dict(cfg, num_classes=3, beside_out=beside_out, **kw)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _feats(batch=2):
    torch.manual_seed(1)
    return [torch.randn(batch, 32, 12 // 2 ** i, 16 // 2 ** i) for i in range(3)]


def test_beside_logits_read_the_outermost_columns_one_mlp_for_both_sides():
    head = _head()
    torch.nn.init.normal_(head.beside_out.mlp[-1].weight)  # off its unfitted start
    feats = _feats()
    out = head(feats)['beside']
    assert tuple(out.shape) == (2, 2, 2)
    rows = feats[-1].mean(2)
    expected = head.beside_out.mlp(torch.stack([rows[..., 0], rows[..., -1]], 1))
    assert torch.allclose(out, expected, atol=1e-6)
    mirrored = head([f.flip(-1) for f in feats])['beside']
    assert torch.allclose(mirrored, out.flip(1), atol=1e-6)  # left and right trade places
    inner = [f.clone() for f in feats]
    inner[-1][..., 1:-1] += 5.0  # columns between the edges do not move it
    assert torch.allclose(head(inner)['beside'], out, atol=1e-6)
    assert 'beside' not in _head(beside_out=False)(feats)


def test_an_unfitted_output_alerts_on_no_side():
    probs = _head()(_feats())['beside'].softmax(-1)[..., 1]
    assert torch.allclose(probs, torch.full((2, 2), 1 / (1 + math.exp(-UNFITTED_HAZARD_LOGIT))))
    assert float(probs.max().detach()) < 0.02


def test_the_output_never_bends_the_detector():
    """It reads detached features, so no gradient reaches what feeds it; and adding it
    leaves every other initial weight as it was (its weights come from a forked stream)."""
    head = _head(loss_beside=CE)
    feats = [f.requires_grad_() for f in _feats()]
    head(feats)['beside'].sum().backward()
    assert all(f.grad is None for f in feats)
    plain = _head(beside_out=False).state_dict()
    with_output = _head().state_dict()
    assert set(with_output) - set(plain) and all(
        k.startswith('beside_out.') for k in set(with_output) - set(plain))
    for k, v in plain.items():
        assert torch.equal(v, with_output[k]), k


def _labelled(batch, labels):
    for sample, label in zip(batch['data_samples'], labels):
        sample.set_metainfo(dict(beside_hazard=None if label is None
                                 else np.array(label, np.float32)))
    return batch['data_samples']


def test_beside_loss_only_where_configured_over_the_images_that_say():
    head = _head(loss_beside=CE)
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
    for plain in (_head(), _head(beside_out=False, loss_beside=CE)):  # T4: fitted after
        assert 'loss_beside' not in plain.loss_by_preds(plain(feats), samples)


def test_the_fit_data_are_the_labelled_images_features():
    head = _head()
    feats = _feats()
    samples = _labelled(synthetic_batch(), [None, [0, 1]])
    x, y = head.beside_fit_data(feats, samples)
    assert torch.equal(x, BesideOutput.features(feats[-1])[[1]]) and y.tolist() == [[0, 1]]
    x, y = head.beside_fit_data(feats, _labelled(synthetic_batch(), [None, None]))
    assert x.shape == (0, 2, 32) and y.shape == (0, 2)


def test_the_fit_learns_a_separable_side_deterministically():
    """Features whose first channel says hazard: after the fit every hazard side is alerted
    and no other; the same data give the same weights; no data is refused."""
    torch.manual_seed(3)
    x = torch.randn(40, 2, 8)
    y = (x[..., 0] > 1.0).long()
    assert 0 < int(y.sum()) < 40
    fits = []
    for _ in range(2):
        out = BesideOutput(8, hidden=16)
        result = out.fit(x, y, steps=300, lr=1e-2)
        fits.append(out.state_dict())
    assert result['recall_before'] == 0.0 and result['false_alerts_before'] == 0.0
    assert result['recall_after'] == 1.0 and result['false_alerts_after'] == 0.0
    assert result['images'] == 40
    assert all(torch.equal(v, fits[1][k]) for k, v in fits[0].items())
    assert all(p.grad is None for p in out.parameters())  # nothing left for the optimiser
    with pytest.raises(ValueError, match='no image with beside_hazards'):
        out.fit(x[:0], y[:0])
    for steps, lr in ((0, 1e-3), (10, 0.0)):  # no step at all, or steps that move nothing
        with pytest.raises(ValueError, match='^BesideOutput.fit: steps must be a positive int'):
            out.fit(x, y, steps=steps, lr=lr)


def test_beside_prediction_is_the_hazard_probability_per_side():
    head = _head().eval()
    torch.nn.init.normal_(head.beside_out.mlp[-1].weight)
    feats = _feats()
    samples = _labelled(synthetic_batch(), [None, None])
    out = head.predict(feats, samples)
    probs = head(feats)['beside'].softmax(-1)[..., 1]
    for b, sample in enumerate(out):
        assert sample.metainfo['pred_beside_hazard'] == pytest.approx(probs[b].tolist())


def test_t4s_beside_output_follows_the_sound_from_the_side(tiny_synth):
    """T4 hears: after three training steps (the fusion starts from zero-initialised layers)
    and the output's fit, louder sound in one ear changes the beside output; T3 has no
    such output."""
    model, data = build_tier('t4_cross_modal', tiny_synth)
    assert model.bbox_head.beside_out is not None
    assert build_tier('t3_cross_task', tiny_synth)[0].bbox_head.beside_out is None
    samples = data['data_samples']
    for s, label in zip(samples, ([1, 0], [0, 0])):
        s.set_metainfo(dict(beside_hazard=np.array(label, np.float32)))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        sum(v for k, v in model(**data, mode='loss').items() if 'loss' in k).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'], samples)
    model.bbox_head.beside_out.fit(*model.bbox_head.beside_fit_data(feats, samples), steps=50,
                                   lr=1e-2)
    with torch.no_grad():
        before = model(**data, mode='tensor')['beside'].softmax(-1)[..., 1]
        for s in samples:
            s.audio = s.audio.clone()
            s.audio[0] += 3.0  # the left ear, e^3 times the energy
        after = model(**data, mode='tensor')['beside'].softmax(-1)[..., 1]
    assert not torch.allclose(before, after, atol=1e-4)

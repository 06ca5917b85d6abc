"""The coarse-level encoder's spatial-reduction attention: exact full attention up to
max_kv_tokens, pooled keys / values above, equal to a hand-written reference."""
import math

import pytest
import torch
import torch.nn.functional as F

from maxsight.models.necks.coarse_level_encoder import CoarseLevelEncoder


def _feats(size, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, 16, size // s, size // s, generator=g) for s in (8, 16, 32)]


def test_reduction_factor_is_the_smallest_that_fits():
    enc = CoarseLevelEncoder(channels=16, num_heads=2, ffn_channels=32)
    assert enc.max_kv_tokens == 1024
    assert enc.reduction_factor([(12, 16), (6, 8)]) == 1  # the embedded 256 x 192: 240
    assert enc.reduction_factor([(40, 40), (20, 20)]) == 2  # 640 px: 2000 -> 500
    assert enc.reduction_factor([(64, 64), (32, 32)]) == 3  # 1024 px: 5120 -> 484 + 121
    assert enc.reduction_factor([(32, 32)]) == 1  # exactly 1024 fits
    assert CoarseLevelEncoder(max_kv_tokens=None).reduction_factor([(99, 99)]) == 1
    with pytest.raises(ValueError, match='max_kv_tokens must hold a token per level'):
        CoarseLevelEncoder(max_kv_tokens=1)


def test_up_to_the_budget_attention_is_over_every_token():
    torch.manual_seed(0)
    enc = CoarseLevelEncoder(channels=16, num_heads=2, ffn_channels=32, max_kv_tokens=20).eval()
    full = CoarseLevelEncoder(channels=16, num_heads=2, ffn_channels=32,
                              max_kv_tokens=None).eval()
    full.load_state_dict(enc.state_dict())
    small = _feats(64)  # 4x4 + 2x2 = 20 tokens: within the budget
    assert all(torch.equal(a, b) for a, b in zip(enc(small), full(small)))
    large = _feats(96)  # 6x6 + 3x3 = 45 tokens: pooled
    assert not torch.allclose(enc(large)[1], full(large)[1])


def test_pooled_attention_equals_a_hand_written_reference():
    torch.manual_seed(0)
    enc = CoarseLevelEncoder(channels=16, num_heads=2, ffn_channels=32, max_kv_tokens=20).eval()
    feats = _feats(96)
    out = enc(feats)
    layer = enc.encoder.layers[0]
    shapes = [(6, 6), (3, 3)]
    r = 2  # 6x6 + 3x3 = 45 > 20; r = 2: 9 + 4 = 13
    assert enc.reduction_factor(shapes) == r
    tokens = []
    for j, f in enumerate(feats[1:]):
        from maxsight.models.layers.positional_encoding import sine_positional_encoding
        pos = sine_positional_encoding(f.shape[2], f.shape[3], 16)
        tokens.append(f.flatten(2).transpose(1, 2) + pos + enc.level_embed[j])
    x = torch.cat(tokens, 1)
    q = layer.norm1(x)
    kv = torch.cat([F.adaptive_avg_pool2d(
        q[:, a:b].transpose(1, 2).reshape(2, 16, h, w),
        (math.ceil(h / r), math.ceil(w / r))).flatten(2).transpose(1, 2)
        for (a, b), (h, w) in zip([(0, 36), (36, 45)], shapes)], 1)
    assert kv.shape == (2, 13, 16)
    y = x + layer.self_attn(q, kv, kv, need_weights=False)[0]
    y = y + layer.linear2(F.relu(layer.linear1(layer.norm2(y))))
    update = y - x
    with torch.no_grad():
        assert torch.allclose(out[1], feats[1] + update[:, :36].transpose(1, 2).reshape(
            2, 16, 6, 6), atol=1e-5)
        assert torch.allclose(out[2], feats[2] + update[:, 36:].transpose(1, 2).reshape(
            2, 16, 3, 3), atol=1e-5)
    assert torch.equal(out[0], feats[0])  # the finest level passes through


def test_checked_bounds_of_the_token_budget_and_drop_path():
    """A budget of one token per level is the least that works and is accepted; one less is
    refused. A drop-path rate of 1 would drop every layer: [0, 1) only."""
    CoarseLevelEncoder(channels=8, levels=(0, 1, 2), max_kv_tokens=3)
    with pytest.raises(ValueError, match=r'max_kv_tokens must hold a token per level'):
        CoarseLevelEncoder(channels=8, levels=(0, 1, 2), max_kv_tokens=2)
    CoarseLevelEncoder(channels=8, drop_path=0.0)
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match=r'drop_path must be in \[0, 1\)'):
            CoarseLevelEncoder(channels=8, drop_path=bad)


def test_sine_positional_encoding_by_hand():
    """DETR's encoding: coordinates (i + 1) / n * 2 pi, frequencies 10000^(k / (dim / 4));
    per position [sin y, cos y, sin x, cos x] over the frequencies."""
    from maxsight.models.layers.positional_encoding import sine_positional_encoding
    enc = sine_positional_encoding(2, 3, 8)
    assert enc.shape == (6, 8)
    row, col = 1, 2  # position 1 * 3 + 2
    y, x = 2 / 2 * 2 * math.pi, 3 / 3 * 2 * math.pi
    freqs = [1.0, 100.0]  # 10000 ** (k / 2), k = 0, 1
    expected = ([math.sin(y / f) for f in freqs] + [math.cos(y / f) for f in freqs] +
                [math.sin(x / f) for f in freqs] + [math.cos(x / f) for f in freqs])
    assert torch.allclose(enc[row * 3 + col], torch.tensor(expected), atol=1e-6)
    # the first position: y = 1 / 2 * 2 pi = pi, x = 1 / 3 * 2 pi
    first = ([math.sin(math.pi), math.sin(math.pi / 100), -1.0, math.cos(math.pi / 100)] +
             [math.sin(2 * math.pi / 3), math.sin(2 * math.pi / 300)] +
             [math.cos(2 * math.pi / 3), math.cos(2 * math.pi / 300)])
    assert torch.allclose(enc[0], torch.tensor(first), atol=1e-6)

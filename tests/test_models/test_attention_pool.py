"""T1's scene read-out: attention pooling of the coarsest features."""
import pytest
import torch

from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
from maxsight.models.layers import AttentionPool


def test_an_untrained_pool_is_the_mean():
    f = torch.randn(2, 8, 3, 5)
    assert torch.allclose(AttentionPool(8, heads=2)(f), f.mean((2, 3)), atol=1e-6)


def test_each_head_weights_its_channels_by_its_own_softmax_brute_force():
    torch.manual_seed(0)
    pool = AttentionPool(6, heads=3)
    with torch.no_grad():
        pool.score.weight.normal_()
        pool.score.bias.normal_()
    f = torch.randn(2, 6, 2, 3)
    out = pool(f)
    for b in range(2):
        for g in range(3):
            scores = [float((pool.score.weight[g, :, 0, 0] * f[b, :, y, x]).sum()
                            + pool.score.bias[g]) for y in range(2) for x in range(3)]
            w = torch.tensor(scores).softmax(0)
            for c in range(2 * g, 2 * g + 2):
                expect = sum(w[i] * f[b, c, i // 3, i % 3] for i in range(6))
                assert float(out[b, c]) == pytest.approx(float(expect), abs=1e-5)


def test_a_pool_can_single_out_one_location():
    """The reason for the pool: a strong score at one location reads that location, where
    the mean dilutes it by the number of locations."""
    pool = AttentionPool(4, heads=1)
    f = torch.zeros(1, 4, 4, 4)
    f[0, :, 2, 1] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    with torch.no_grad():
        pool.score.weight.fill_(10.0)
    assert torch.allclose(pool(f), f[0, :, 2, 1][None], atol=1e-4)
    assert torch.allclose(f.mean((2, 3)), f[0, :, 2, 1][None] / 16)


@pytest.mark.parametrize('channels, heads', [(6, 4), (0, 1), (8, 0), (8, True)])
def test_channels_must_split_into_the_heads(channels, heads):
    with pytest.raises(ValueError, match='AttentionPool: channels'):
        AttentionPool(channels, heads)


def test_the_head_reads_the_scene_through_its_pool():
    torch.manual_seed(0)
    feats = [torch.randn(2, 16, s, s) for s in (8, 4, 2)]
    torch.manual_seed(0)
    plain = MultiTaskDenseHead(3, in_channels=16, feat_channels=16)
    torch.manual_seed(0)
    pooled = MultiTaskDenseHead(3, in_channels=16, feat_channels=16,
                                scene_pool=dict(type='AttentionPool', heads=4))
    assert torch.allclose(plain(feats)['scene'], pooled(feats)['scene'], atol=1e-6)
    with torch.no_grad():
        pooled.scene_pool.score.weight.normal_()
    expect = pooled.scene_out(pooled.scene_pool(feats[-1]))
    assert torch.allclose(pooled(feats)['scene'], expect)
    assert not torch.allclose(plain(feats)['scene'], expect, atol=1e-4)

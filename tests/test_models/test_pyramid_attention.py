"""PyramidAttention (T1): the channel MLP's width and the attention by hand."""
import torch

from maxsight.models.necks.pyramid_attention import PyramidAttention


def test_channel_mlp_is_channels_over_reduction_but_never_below_4():
    for channels, reduction, hidden in ((64, 4, 16), (64, 16, 4), (8, 4, 4), (64, 32, 4)):
        mlp = PyramidAttention(channels, reduction=reduction).mlp
        assert (mlp[0].out_channels, mlp[2].in_channels) == (hidden, hidden), (channels,
                                                                                 reduction)


def test_attention_equals_the_cbam_formula_by_hand():
    """f * 2 sigmoid(MLP(avg f) + MLP(max f)), then * 2 sigmoid(conv([mean_c, max_c]))."""
    torch.manual_seed(0)
    att = PyramidAttention(8, reduction=2, kernel_size=3)
    f = torch.randn(2, 8, 5, 6)
    with torch.no_grad():
        out, = att([f])
        mlp = att.mlp
        channel = 2 * torch.sigmoid(mlp(f.mean((2, 3), keepdim=True)) +
                                    mlp(f.amax((2, 3), keepdim=True)))
        g = f * channel
        pooled = torch.cat([g.mean(1, keepdim=True), g.amax(1, keepdim=True)], 1)
        spatial = 2 * torch.sigmoid(torch.nn.functional.conv2d(
            pooled, att.spatial.weight, att.spatial.bias, padding=1))
    assert torch.allclose(out, g * spatial, atol=1e-6)
    assert out.shape == f.shape

"""A small ResNet-style CNN backbone, trained from scratch (no download)."""
from typing import List, Optional, Sequence

import torch
from torch import nn

from ...registry import MODELS


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with a residual connection (ResNet v1 basic block)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.act = nn.ReLU(inplace=True)
        self.shortcut: Optional[nn.Module] = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + identity)


@MODELS.register_module()
class LiteResNet(nn.Module):
    """ResNet-like backbone: stem (stride 4) then one stage per entry of ``widths``, each
    halving the resolution except the first.

    Args:
        widths: channels of each stage (strides 4, 8, 16, 32 for four stages).
        depths: basic blocks per stage.
        stem_channels: channels of the stride-2 stem conv.
        out_indices: which stages to return.
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH)`` loads a local state dict.

    Input [B, 3, H, W] normalised RGB; output tuple of [B, widths[i], H/s_i, W/s_i].
    """

    def __init__(self, widths: Sequence[int] = (32, 64, 128, 256),
                 depths: Sequence[int] = (1, 1, 2, 1), stem_channels: int = 24,
                 out_indices: Sequence[int] = (1, 2, 3), init_cfg: Optional[dict] = None):
        super().__init__()
        if len(widths) != len(depths):
            raise ValueError(f'LiteResNet: widths {widths} and depths {depths} differ in length')
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_channels, 3, 2, 1, bias=False), nn.BatchNorm2d(stem_channels),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        stages: List[nn.Module] = []
        in_ch = stem_channels
        for i, (w, d) in enumerate(zip(widths, depths)):
            blocks = [BasicBlock(in_ch, w, stride=1 if i == 0 else 2)]
            blocks += [BasicBlock(w, w) for _ in range(d - 1)]
            stages.append(nn.Sequential(*blocks))
            in_ch = w
        self.stages = nn.ModuleList(stages)
        self.out_indices = tuple(out_indices)
        self.out_channels = [widths[i] for i in self.out_indices]
        self.init_cfg = init_cfg
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        if init_cfg is not None:
            load_local_weights(self, init_cfg)

    def forward(self, x: torch.Tensor) -> tuple:
        return staged_forward(x, self.stem, self.stages, self.out_indices)


def staged_forward(x: torch.Tensor, stem: nn.Module, stages: Sequence[nn.Module],
                   out_indices: Sequence[int]) -> tuple:
    """``stem`` then each of ``stages`` on [B, 3, H, W]; the outputs of ``out_indices``."""
    x = stem(x)
    outs = []
    for i, stage in enumerate(stages):
        x = stage(x)
        if i in out_indices:
            outs.append(x)
    return tuple(outs)


def load_local_weights(module: nn.Module, init_cfg: dict) -> None:
    """Load a local checkpoint (``init_cfg['checkpoint']``) into ``module`` with the safe
    loader; the optional ``prefix`` selects a sub-dict of the state dict."""
    from ...checkpoint_io import safe_load_checkpoint
    if init_cfg.get('type') != 'Pretrained' or 'checkpoint' not in init_cfg:
        raise ValueError(f"init_cfg must be dict(type='Pretrained', checkpoint=PATH), "
                         f'got {init_cfg}')
    ckpt = safe_load_checkpoint(init_cfg['checkpoint'], map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    prefix = init_cfg.get('prefix')
    if prefix:
        state = {k[len(prefix) + 1:]: v for k, v in state.items() if k.startswith(prefix + '.')}
    module.load_state_dict(state, strict=True)

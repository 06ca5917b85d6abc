"""ImageNet backbones from torchvision, cut into a stem and four stages (strides 4, 8, 16,
32) like mmdetection's ResNet, with pretrained weights read from a local file.

Nothing downloads: the architecture is built with ``weights=None`` and
``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` names a state dict the user saved in
torchvision's own format (``torch.save(torchvision.models.resnet50(weights=...)
.state_dict(), PATH)``), read with the project's safe loader when training starts
(``init_weights``, as mmengine's Runner calls it), never at test time.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torchvision
from torch import nn

from ...registry import MODELS
from .lite_resnet import staged_forward

#: per architecture: (stem modules, the four stages' modules, output channels of each
#: stage, prefixes of the classifier parameters a detector does not use). Module paths are
#: torchvision's attribute paths; ``features.a:b`` is a slice of ``features``.
ARCHITECTURES: Dict[str, Tuple[Sequence[str], Sequence[str], Sequence[int], Sequence[str]]] = {
    'resnet18': (('conv1', 'bn1', 'relu', 'maxpool'),
                 ('layer1', 'layer2', 'layer3', 'layer4'), (64, 128, 256, 512), ('fc.',)),
    'resnet34': (('conv1', 'bn1', 'relu', 'maxpool'),
                 ('layer1', 'layer2', 'layer3', 'layer4'), (64, 128, 256, 512), ('fc.',)),
    'resnet50': (('conv1', 'bn1', 'relu', 'maxpool'),
                 ('layer1', 'layer2', 'layer3', 'layer4'), (256, 512, 1024, 2048), ('fc.',)),
    # the last 1x1 expansion (features.16, 960 channels) feeds the classifier only
    'mobilenet_v3_large': (('features.0:1',),
                           ('features.1:4', 'features.4:7', 'features.7:13',
                            'features.13:16'), (24, 40, 112, 160),
                           ('features.16.', 'classifier.')),
    'convnext_tiny': (('features.0:1',),
                      ('features.1:2', 'features.2:4', 'features.4:6', 'features.6:8'),
                      (96, 192, 384, 768), ('classifier.',)),
    # as for MobileNetV3, the 1280-channel features.8 feeds the classifier only
    'efficientnet_b0': (('features.0:1',),
                        ('features.1:3', 'features.3:4', 'features.4:6', 'features.6:8'),
                        (24, 40, 112, 320), ('features.8.', 'classifier.')),
}


def _module(model: nn.Module, path: str) -> List[nn.Module]:
    """The modules at ``path`` (``name.sub`` or a slice ``name.a:b`` of a Sequential)."""
    if ':' in path:
        parent, span = path.rsplit('.', 1)
        start, stop = (int(i) for i in span.split(':'))
        return list(model.get_submodule(parent)[start:stop])
    return [model.get_submodule(path)]


def _sequential(modules: List[nn.Module]) -> nn.Sequential:
    """``modules`` as one Sequential (a single Sequential as it is: ``stages.3.1.bn2``
    rather than ``stages.3.0.1.bn2``)."""
    if len(modules) == 1 and isinstance(modules[0], nn.Sequential):
        return modules[0]
    return nn.Sequential(*modules)


class PretrainedWeightsError(ValueError):
    """A local pretrained file does not fit the architecture."""


@MODELS.register_module()
class TorchvisionBackbone(nn.Module):
    """A torchvision ImageNet model as a detection backbone.

    Args:
        arch: one of ``ARCHITECTURES`` (resnet18/34/50, mobilenet_v3_large, convnext_tiny,
            efficientnet_b0).
        out_indices: stages returned (0-3, strides 4, 8, 16, 32).
        frozen_stages: -1 trains everything; 0 freezes the stem; k > 0 the stem and
            stages 0..k-1 (no gradients, kept in eval mode), as in mmdetection.
        norm_eval: keep every BatchNorm in eval mode while training (ImageNet statistics
            with small batches).
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH[, prefix=KEY])``, a torchvision
            state dict (or a checkpoint with one under ``state_dict``; ``prefix`` selects a
            sub-dict such as ``backbone``). Loaded by :meth:`init_weights`.

    Input [B, 3, H, W] normalised RGB; output tuple of [B, C_i, H / s_i, W / s_i] for
    ``out_indices`` (``out_channels`` lists the C_i).
    """

    def __init__(self, arch: str = 'resnet50', out_indices: Sequence[int] = (1, 2, 3),
                 frozen_stages: int = -1, norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f'TorchvisionBackbone: arch must be one of '
                             f'{", ".join(ARCHITECTURES)}, got {arch!r}')
        if not set(out_indices) <= {0, 1, 2, 3} or not out_indices:
            raise ValueError(f'TorchvisionBackbone: out_indices must be stages 0-3, got '
                             f'{tuple(out_indices)}')
        if not -1 <= frozen_stages <= 4:
            raise ValueError(f'TorchvisionBackbone: frozen_stages must be -1..4, got '
                             f'{frozen_stages}')
        if init_cfg is not None and (init_cfg.get('type') != 'Pretrained'
                                     or 'checkpoint' not in init_cfg):
            raise ValueError("TorchvisionBackbone: init_cfg must be dict(type='Pretrained', "
                             f'checkpoint=PATH), got {init_cfg}')
        stem, stages, channels, self.unused_prefixes = ARCHITECTURES[arch]
        full = torchvision.models.get_model(arch, weights=None)
        self.stem = nn.Sequential(*[m for p in stem for m in _module(full, p)])
        self.stages = nn.ModuleList(_sequential(_module(full, p)) for p in stages)
        # our parameter name -> torchvision's, for loading torchvision's state dicts
        tv_names = {id(t): n for n, t in full.state_dict(keep_vars=True).items()}
        self.torchvision_names = {n: tv_names[id(t)]
                                  for n, t in self.state_dict(keep_vars=True).items()}
        self.arch, self.init_cfg = arch, init_cfg
        self.out_indices = tuple(out_indices)
        self.out_channels = [channels[i] for i in self.out_indices]
        self.frozen_stages, self.norm_eval = frozen_stages, norm_eval
        self._freeze()

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return [self.stem] + list(self.stages[:self.frozen_stages])

    def _freeze(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for p in module.parameters():
                p.requires_grad_(False)

    def train(self, mode: bool = True) -> 'TorchvisionBackbone':
        super().train(mode)
        self._freeze()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        return staged_forward(x, self.stem, self.stages, self.out_indices)

    def init_weights(self) -> None:
        """Load ``init_cfg``'s local torchvision state dict (nothing without one)."""
        if self.init_cfg is None:
            return
        from ...checkpoint_io import safe_load_checkpoint
        path = self.init_cfg['checkpoint']
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'pretrained {self.arch} weights not found: {path}; save them on a machine '
                f'with internet access with torch.save(torchvision.models.{self.arch}('
                f"weights='DEFAULT').state_dict(), '{path}') and copy the file here, or set "
                'model.backbone.init_cfg=None to train from scratch')
        ckpt = safe_load_checkpoint(path, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        prefix = self.init_cfg.get('prefix')
        if prefix:
            state = {k[len(prefix) + 1:]: v for k, v in state.items()
                     if k.startswith(prefix + '.')}
        self.load_state_dict(self.torchvision_state(state, path), strict=True)

    def torchvision_state(self, state: Dict[str, torch.Tensor], source: str = 'state dict'
                          ) -> Dict[str, torch.Tensor]:
        """``state`` in torchvision's key format -> this module's keys, checked: every
        backbone weight present with its shape, and nothing but the classifier left over."""
        wanted = set(self.torchvision_names.values())
        missing = sorted(wanted - set(state))
        unexpected = sorted(k for k in set(state) - wanted
                            if not k.startswith(tuple(self.unused_prefixes)))
        own = self.state_dict()
        mismatched = [f'{tv} {tuple(state[tv].shape)} (needs {tuple(own[ours].shape)})'
                      for ours, tv in self.torchvision_names.items()
                      if tv in state and state[tv].shape != own[ours].shape]
        problems = []
        for what, keys in (('missing', missing), ('unexpected', unexpected),
                           ('with another shape', mismatched)):
            if keys:
                problems.append(f'{len(keys)} {what}: {", ".join(keys[:5])}'
                                + (' ...' if len(keys) > 5 else ''))
        if problems:
            raise PretrainedWeightsError(
                f'{source}: not a torchvision {self.arch} state dict ({"; ".join(problems)}); '
                f'save one with torch.save(torchvision.models.{self.arch}(weights=...)'
                f'.state_dict(), PATH), or set init_cfg.prefix to the sub-dict that holds it')
        return {ours: state[tv] for ours, tv in self.torchvision_names.items()}


@MODELS.register_module()
class TorchvisionResNet(TorchvisionBackbone):
    """torchvision's ResNet-``depth`` (18, 34 or 50); arguments as
    :class:`TorchvisionBackbone`."""

    def __init__(self, depth: int = 50, **kwargs):
        if depth not in (18, 34, 50):
            raise ValueError(f'TorchvisionResNet: depth must be 18, 34 or 50, got {depth!r}')
        super().__init__(arch=f'resnet{depth}', **kwargs)

"""Int8 quantisation of a detector's convolutional trunk (backbone + FPN neck).

torch.ao.quantization FX graph mode, x86 backend: the trunk, where most of the compute is,
runs in int8; attention, the transformer encoder, fusion modules and the multi-task head
stay in float (their matmuls, softmax and layer norms are where int8 costs accuracy).

* Post-training static quantisation (``mode='ptq'``): observers calibrated on training
  images, then converted.
* Quantisation-aware training (``mode='qat'``): fake-quantised conv + BN + ReLU trained
  from a float checkpoint by the normal training loop, then converted.

``quantization = dict(mode='qat'|'ptq', backend='x86', calib_batches=8)`` in a config turns
it on for tools/train.py, tools/test.py and tools/export.py.
"""
import copy
from typing import Iterable, Tuple

import torch
from torch import Tensor, nn

QUANT_MODES = ('ptq', 'qat')


class Trunk(nn.Module):
    """``neck(backbone(x))``: images [B, 3, H, W] (normalised) -> pyramid features."""

    def __init__(self, backbone: nn.Module, neck: nn.Module):
        super().__init__()
        self.backbone, self.neck = backbone, neck

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        return tuple(self.neck(self.backbone(x)))


class PassThrough(nn.Module):
    """Stands in for the neck once the quantised trunk includes it."""

    def forward(self, feats):
        return feats


def check_quantization_cfg(qcfg: dict) -> dict:
    """Validated copy of a config's ``quantization`` dict."""
    qcfg = dict(qcfg)
    if qcfg.get('mode') not in QUANT_MODES:
        raise ValueError(f'quantization.mode must be one of {QUANT_MODES}, got '
                         f'{qcfg.get("mode")!r}')
    backend = qcfg.setdefault('backend', 'x86')
    if backend not in torch.backends.quantized.supported_engines:
        raise ValueError(f'quantization.backend {backend!r} is not supported by this torch '
                         f'build ({torch.backends.quantized.supported_engines})')
    qcfg.setdefault('calib_batches', 8)
    return qcfg


def _observe_only_in_training(module: nn.Module, args) -> None:
    """QAT observers track activation ranges while training only: evaluating (validation,
    test) must not move the quantisation parameters the int8 model will use."""
    from torch.ao.quantization import disable_observer, enable_observer
    module.apply(enable_observer if module.training else disable_observer)


def is_prepared(model: nn.Module) -> bool:
    return isinstance(getattr(model, 'neck', None), PassThrough)


def prepare_trunk(model: nn.Module, qcfg: dict, example: Tensor) -> nn.Module:
    """Replace ``model.backbone`` / ``model.neck`` (in place) by the observed (PTQ) or
    fake-quantised (QAT) trunk; ``example``: a normalised image batch [B, 3, H, W].
    Load float weights before this, and the prepared model's own checkpoints after."""
    from torch.ao.quantization import (get_default_qat_qconfig_mapping,
                                       get_default_qconfig_mapping)
    from torch.ao.quantization.quantize_fx import prepare_fx, prepare_qat_fx
    qcfg = check_quantization_cfg(qcfg)
    if is_prepared(model):
        raise ValueError('the model is already prepared for quantisation')
    torch.backends.quantized.engine = qcfg['backend']
    trunk = Trunk(model.backbone, model.neck)
    if qcfg['mode'] == 'qat':
        prepared = prepare_qat_fx(trunk.train(), get_default_qat_qconfig_mapping(
            qcfg['backend']), (example,))
        prepared.register_forward_pre_hook(_observe_only_in_training)
    else:
        prepared = prepare_fx(trunk.eval(), get_default_qconfig_mapping(qcfg['backend']),
                              (example,))
    model.backbone, model.neck = prepared, PassThrough()
    return model


@torch.no_grad()
def calibrate(model: nn.Module, batches: Iterable[Tensor]) -> int:
    """Run normalised image batches through the prepared trunk (PTQ observers); returns the
    number of images seen."""
    model.eval()
    seen = 0
    for x in batches:
        model.backbone(x)
        seen += len(x)
    return seen


def convert_trunk(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose prepared trunk is converted to int8 (CPU inference)."""
    from torch.ao.quantization.quantize_fx import convert_fx
    if not is_prepared(model):
        raise ValueError('prepare the model (prepare_trunk) before converting it')
    out = copy.deepcopy(model).cpu().eval()
    out.backbone = convert_fx(out.backbone)
    return out

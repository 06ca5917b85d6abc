"""The quantisation step of tools/train.py, tools/test.py and tools/export.py."""
from mmengine.config import Config
from torch import Tensor, nn

from ..utils.config_preparation import preload_batches
from .trunk import calibrate, check_quantization_cfg, prepare_trunk


def normalised_batches(model: nn.Module, cfg: Config, split: str, limit: int):
    """Up to ``limit`` preprocessed image batches [B, 3, H, W] of ``split``'s dataloader."""
    for batch in preload_batches(cfg[f'{split}_dataloader'], limit):
        yield model.data_preprocessor(batch, False)['inputs']


def example_input(model: nn.Module, cfg: Config, split: str) -> Tensor:
    return next(normalised_batches(model, cfg, split, 1))


def prepare_for_tool(model: nn.Module, cfg: Config, split: str, train: bool) -> str:
    """Prepare ``model`` in place per ``cfg.quantization`` (nothing without it); PTQ is
    calibrated here on the train split. Returns a line for the log."""
    qcfg = cfg.get('quantization')
    if not qcfg:
        return ''
    qcfg = check_quantization_cfg(qcfg)
    if train and qcfg['mode'] != 'qat':
        raise ValueError("quantization.mode='ptq' needs no training: calibrate and convert "
                         'with tools/export.py CONFIG FLOAT_CKPT')
    prepare_trunk(model, qcfg, example_input(model, cfg, split))
    if qcfg['mode'] == 'ptq':
        seen = calibrate(model, normalised_batches(model, cfg, 'train',
                                                   int(qcfg['calib_batches'])))
        return f'quantisation: PTQ trunk calibrated on {seen} training images'
    return 'quantisation: QAT (fake-quantised backbone + neck, x86 int8 scheme)'

"""The quantisation step of tools/train.py, tools/test.py and tools/export.py."""
from mmengine.config import Config
from mmengine.runner import Runner
from torch import Tensor, nn

from .trunk import calibrate, check_quantization_cfg, prepare_trunk


def normalised_batches(model: nn.Module, cfg: Config, split: str, limit: int):
    """Up to ``limit`` preprocessed image batches [B, 3, H, W] of ``split``'s dataloader."""
    loader_cfg = cfg[f'{split}_dataloader'].copy()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg.pop('worker_init_fn', None)
    for i, batch in enumerate(Runner.build_dataloader(loader_cfg, seed=0)):
        if i >= limit:
            return
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

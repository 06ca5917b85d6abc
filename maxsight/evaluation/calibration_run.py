"""Calibrate a trained checkpoint's operating point on its config's val split, as
``tools/calibrate.py`` runs it: one validation pass with a forced
:class:`~maxsight.engine.hooks.OperatingPointHook`, then the chosen point is stored in the
checkpoint's ``meta['operating_point']`` (in place, or in a copy)."""
from typing import Dict, Optional

from mmengine.config import Config

from ..checkpoint_io import check_checkpoint_file
from .evaluation_run import TRAINING_KEYS


def configure_calibration(cfg: Config, checkpoint: str, target: float) -> Config:
    """``cfg`` (in place) validating ``checkpoint`` with the calibration hook forced on and
    the config's own test_cfg (not an earlier operating point) while collecting."""
    check_checkpoint_file(checkpoint)  # before the runner prepares any data
    if not 0.0 < target < 1.0:
        raise ValueError(f'--target must be in (0, 1), got {target}')
    if not cfg.get('val_dataloader') or not cfg.get('val_evaluator'):
        raise ValueError(f'{cfg.filename}: calibration needs val_dataloader and val_evaluator')
    # the test loop is dropped too: the runner then prepares (and, for the embedded
    # dataset, generates again when stale) the val split this pass reads, not the test one
    for key in TRAINING_KEYS + ('test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.load_from, cfg.resume = checkpoint, False
    cfg.use_operating_point = False
    cfg.default_hooks['operating_point'] = dict(type='OperatingPointHook',
                                                recall_target=target, force=True)
    cfg.default_hooks['checkpoint'] = None  # saves nothing here (and needs a training run)
    return cfg


def calibrate(runner, checkpoint: str, out: Optional[str] = None) -> Dict:
    """Run the val pass of ``runner`` (built from :func:`configure_calibration`) and store
    the operating point in ``checkpoint`` (or ``out``); returns it with ``stored_in``."""
    from ..engine.hooks import OperatingPointHook, store_operating_point
    runner.val()
    hook = next(h for h in runner.hooks if isinstance(h, OperatingPointHook))
    if hook.result is None:
        raise ValueError('no operating point was set (see the warning above): the val split '
                         'needs ground-truth hazards and a MultiTaskDenseHead model')
    return dict(hook.result, stored_in=store_operating_point(checkpoint, hook.result, out))

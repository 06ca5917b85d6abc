"""Smoke run: a few iterations of any config on tiny synthetic data, failing loudly unless
the losses are finite and decrease (``tools/train.py CONFIG --smoke``)."""
import os.path as osp

import numpy as np
from mmengine.config import Config

SMOKE_DATA = dict(num_train=8, num_val=4, num_train_clips=2, num_val_clips=1, clip_length=4,
                  seed=0, width=160, height=120)


def smoke_config(cfg: Config, iters: int = 30) -> Config:
    """Turn ``cfg`` into a smoke run in place: tiny embedded data under
    ``<work_dir>/smoke_data``, batch <= 4, ``iters`` iterations at constant learning rate,
    no validation and no checkpoints; :class:`SmokeCheckHook` checks the losses at the end."""
    root = osp.join(cfg.work_dir, 'smoke_data')
    cfg.embedded_dataset = dict(SMOKE_DATA, root=root)
    loader = cfg.train_dataloader
    loader.dataset.data_root = root
    loader.dataset.pop('skip_invalid', None)
    loader.update(batch_size=min(int(loader.get('batch_size', 4)), 4), num_workers=0,
                  persistent_workers=False)
    cfg.model.bbox_head.num_classes = None  # follow the smoke data
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1)
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader',
                'test_evaluator'):
        cfg[key] = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    for name in ('operating_point', 'visualization', 'training_plots'):  # no validation
        cfg.default_hooks[name] = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=5)
    cfg.log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)
    cfg.load_from, cfg.resume = None, False
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='SmokeCheckHook')]
    return cfg


def check_smoke(losses: np.ndarray, window: int = 5) -> str:
    """Raise ``RuntimeError`` unless every total loss is finite and the mean of the last
    ``window`` iterations is below the mean of the first ``window``; returns a summary."""
    losses = np.asarray(losses, dtype=np.float64)
    if len(losses) < 2 * window:
        raise RuntimeError(f'smoke run: only {len(losses)} losses logged, need {2 * window}')
    if not np.isfinite(losses).all():
        bad = int(np.flatnonzero(~np.isfinite(losses))[0])
        raise RuntimeError(f'smoke run FAILED: loss is {losses[bad]} at iteration {bad + 1}; '
                           'check the learning rate, loss weights and data')
    first, last = losses[:window].mean(), losses[-window:].mean()
    if not last < first:
        raise RuntimeError(f'smoke run FAILED: loss did not decrease (first {window} its '
                           f'{first:.4f}, last {window} its {last:.4f}); the model is not '
                           'learning on a tiny set it should overfit')
    return (f'smoke run PASSED: {len(losses)} iterations, loss {first:.4f} -> {last:.4f} '
            f'(finite throughout)')

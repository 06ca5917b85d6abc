"""``MaxSightRunner``: the mmengine Runner that prepares every MaxSight run itself.

Configs select it with ``runner_type = 'maxsight.MaxSightRunner'`` (``default_runtime.py``;
the scope prefix lets mmengine's root registry find it before any default scope is set), so
``RUNNERS.build(cfg)`` in a notebook, ``tools/train.py``, ``tools/test.py`` and
``tools/automl.py`` run the same thing. :meth:`MaxSightRunner.from_cfg` prepares a copy of
the config (DESIGN section 2):

* ``work_dir`` defaults to ``work_dirs/<config name>`` (plus ``_<condition>``);
* ``vision_condition``: the condition's transform in every pipeline (DESIGN section 5);
* the embedded dataset is generated where a dataloader needs it; ``num_classes`` and the
  class list come from the annotation file; evaluators get their dataloader's file;
* ``resume=True`` without ``load_from`` picks the newest complete checkpoint; a training
  run over a work dir that holds checkpoints of an earlier run is refused;
* ``default_hooks.<name>=None`` switches any default hook off (mmengine's own six and
  MaxSight's: calibration, pictures, plots ...);
* the value checks of :func:`~maxsight.utils.config_preparation.check_config_values`,
  ``amp`` (fp16 / bf16 through ``AmpOptimWrapper``; a clear error without a GPU), gloo
  instead of nccl on the CPU.

Then :meth:`train` transfers ``load_from`` (a training run that does not resume) by name
and shape with a per-module report and prepares quantisation-aware training before the
optimiser is built; :meth:`test` and :meth:`val` prepare a quantised model and refuse a
checkpoint of another architecture instead of loading it partly.
"""
import copy
import os.path as osp
import time
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dist import master_only
from mmengine.logging import print_log
from mmengine.runner import BaseLoop, Runner

from ..evaluation.calibration import apply_operating_point, format_operating_point
from ..evaluation.metrics.assistive_metric import AssistiveMetric
from ..registry import RUNNERS
from ..utils.cli import unwrap_model
from ..utils.config_preparation import (apply_condition, check_config_values,
                                        default_work_dir, prepare_config)
from .atomic_backend import remove_partial_writes
from .resume import find_resume_checkpoint, numbered_checkpoints
from .schedule_report import describe_schedule, long_warmup, schedule_gap
from .transfer import check_same_architecture, format_report, transfer_checkpoint


def is_training_config(cfg: Config) -> bool:
    """A config that trains: it has a train dataloader and a train loop."""
    return bool(cfg.get('train_dataloader') and cfg.get('train_cfg'))


def run_splits(cfg: Config) -> Sequence[str]:
    """The dataloaders a run reads first: train and val for training, else test (or
    val); the first one gives the class list."""
    if is_training_config(cfg):
        return ('train', 'val')
    return ('test',) if cfg.get('test_dataloader') else ('val',)


def _resolve_resume(cfg: Config) -> None:
    """``resume=True`` without ``load_from``: the newest complete checkpoint of the work
    dir, or a fresh start when there is none; a given ``load_from`` must exist."""
    if not cfg.get('resume'):
        return
    if cfg.get('load_from'):
        if not osp.isfile(cfg.load_from):
            raise FileNotFoundError(f'resume checkpoint not found: {cfg.load_from}')
    else:
        latest = find_resume_checkpoint(cfg.work_dir)
        if latest is None:
            print_log(f'resume: no complete checkpoint in {cfg.work_dir}; training from the '
                      'start', logger='current')
            cfg.resume = False
            return
        cfg.load_from = latest
    remove_partial_writes(cfg.work_dir)  # temporary files of saves that were killed


def _refuse_overwrite(cfg: Config) -> None:
    earlier = numbered_checkpoints(cfg.work_dir)
    if earlier:
        names = ', '.join(osp.basename(p) for p in earlier[:3])
        raise FileExistsError(
            f'{cfg.work_dir} already holds checkpoints of an earlier run ({names}); add '
            '--resume (resume=True) to continue it, or choose another --work-dir (a new '
            'run would overwrite them)')


AMP_DTYPES = ('float16', 'bfloat16')


def apply_amp(cfg: Config) -> None:
    """``amp`` = 'float16' or 'bfloat16' (``tools/train.py --amp [DTYPE]``): train with
    mmengine's ``AmpOptimWrapper`` in that autocast dtype (dynamic loss scaling), keeping
    the optimiser, clipping and paramwise settings. Needs a CUDA GPU."""
    amp = cfg.get('amp')
    if amp in (None, False):
        wrapper = (cfg.get('optim_wrapper') or {}).get('type')
        if wrapper == 'AmpOptimWrapper' and not torch.cuda.is_available():
            raise ValueError('AmpOptimWrapper needs a CUDA GPU; none is visible. Train in '
                             'fp32 on the CPU (optim_wrapper.type=GuardedOptimWrapper).')
        return
    if amp is True:
        amp = 'float16'
    if amp not in AMP_DTYPES:
        raise ValueError(f'amp must be one of {", ".join(AMP_DTYPES)} (or None), got {amp!r}')
    if not torch.cuda.is_available():
        raise ValueError(f'--amp ({amp}) needs a CUDA GPU; none is visible. Drop --amp to '
                         'train in fp32 on the CPU.')
    cfg.amp = amp
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = amp
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def prepare_run_config(cfg: Config) -> Config:
    """Every preparation of a run, in place on ``cfg`` (see the module docstring);
    returns ``cfg``. A training run's ``load_from`` becomes ``transfer_from``."""
    condition = cfg.get('vision_condition')
    cfg.work_dir = default_work_dir(cfg)
    if condition:
        apply_condition(cfg, condition)
    training = is_training_config(cfg)
    if training:
        _resolve_resume(cfg)
        if not cfg.get('resume'):
            _refuse_overwrite(cfg)
            if cfg.get('load_from'):
                cfg.transfer_from, cfg.load_from = cfg.load_from, None
    check_config_values(cfg)
    apply_amp(cfg)
    drop_switched_off_hooks(cfg)
    return prepare_config(cfg, splits=run_splits(cfg))


#: mmengine's own default hooks: None removes them there already
_MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger', 'param_scheduler',
                           'checkpoint')


def drop_switched_off_hooks(cfg: Config) -> None:
    """``default_hooks.<name>=None`` switches any default hook off (mmengine accepts None
    only for its own six and asserts on the others)."""
    hooks = cfg.get('default_hooks')
    if hooks:
        for name in [k for k, v in hooks.items() if v is None
                     and k not in _MMENGINE_DEFAULT_HOOKS]:
            hooks.pop(name)


def build_runner(cfg: Config) -> Runner:
    """The runner of ``cfg``'s ``runner_type`` (``MaxSightRunner`` when unset), built the
    mmengine way: what the tools do, and what ``RUNNERS.build(cfg)`` does."""
    if not cfg.get('runner_type'):
        return MaxSightRunner.from_cfg(cfg)
    return RUNNERS.build(cfg)


@RUNNERS.register_module()
class MaxSightRunner(Runner):
    """:class:`mmengine.runner.Runner` that prepares its config (module docstring)."""

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'MaxSightRunner':
        from .. import register_all_modules
        register_all_modules(init_default_scope=False)
        cfg = copy.deepcopy(cfg)
        if not isinstance(cfg, Config):
            cfg = Config(cfg)
        prepare_run_config(cfg)
        return super().from_cfg(cfg)

    @master_only
    def dump_config(self) -> None:
        """A training run's resolved config goes to ``<work_dir>/<config name>``, as
        mmengine writes it; any other run's (a test, a calibration) to its own timestamped
        log folder, so that testing in a training run's work dir never replaces the config
        that run trained with."""
        if is_training_config(self.cfg):
            return super().dump_config()
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        self.cfg.dump(osp.join(self.log_dir, name))

    @property
    def bare_model(self) -> torch.nn.Module:
        """The model inside a DDP / mmengine wrapper."""
        return unwrap_model(self.model)

    def setup_env(self, env_cfg: dict) -> None:
        """mmengine's set-up, after starting the gloo group of a multi-process run without a
        GPU (mmengine's launcher calls ``torch.cuda.set_device`` unconditionally)."""
        import torch.distributed as dist
        if self.launcher != 'none' and not torch.cuda.is_available() \
                and not dist.is_initialized():
            dist.init_process_group(backend='gloo')
        super().setup_env(env_cfg)

    def _prepare_quantization(self, split: str, train: bool) -> None:
        if not self.cfg.get('quantization') or getattr(self, '_quantization_ready', False):
            return
        from ..quantization.tool_support import prepare_for_tool
        self.logger.info(prepare_for_tool(self.bare_model, self.cfg, split, train=train))
        self._quantization_ready = True

    def _check_checkpoint(self, resume: bool = False) -> None:
        if self._load_from and not self._has_loaded:
            check_same_architecture(self._load_from, self.bare_model,
                                    self.cfg.filename or 'the config', resume=resume)

    def train(self) -> torch.nn.Module:
        transfer_from: Optional[str] = self.cfg.get('transfer_from')
        if transfer_from and not getattr(self, '_transferred', False):
            report = transfer_checkpoint(transfer_from, self.bare_model)
            self.logger.info(f'weights transferred from {transfer_from}:\n'
                             f'{format_report(report)}')
            self._transferred = True
        self._prepare_quantization('train', train=True)  # after the weights, before the optimiser
        if self._resume:
            self._check_checkpoint(resume=True)
        start = time.perf_counter()
        model = super().train()
        self.logger.info(self._summary(time.perf_counter() - start))
        return model

    def _summary(self, seconds: float) -> str:
        """Training time and the final / best val mAP, for the log."""
        hub = self.message_hub
        lines = [f'training finished in {seconds / 60:.1f} min ({seconds:.0f} s)']
        final = hub.log_scalars.get('val/coco/bbox_mAP')
        if final is not None:
            lines.append(f'final val coco/bbox_mAP: {final.current():.4f}')
        if hub.get_info('best_score') is not None:
            lines.append(f'best val coco/bbox_mAP: {hub.get_info("best_score"):.4f} '
                         f'({hub.get_info("best_ckpt")})')
        return '\n'.join(lines)

    def build_param_scheduler(self, scheduler):
        """mmengine's schedulers, then (in a training run) the resolved schedule in the
        log and a warning when it stops before the run does."""
        schedulers = super().build_param_scheduler(scheduler)
        loop = self._train_loop
        if isinstance(loop, BaseLoop) and isinstance(schedulers, list):
            per_epoch = len(loop.dataloader) if hasattr(loop, 'max_epochs') else 0
            self.logger.info(describe_schedule(schedulers, loop.max_iters, per_epoch))
            for warning in (schedule_gap(schedulers, loop.max_iters, per_epoch),
                            long_warmup(schedulers, loop.max_iters)):
                if warning:
                    self.logger.warning(warning)
        return schedulers

    def load_checkpoint(self, filename: str, *args, **kwargs) -> dict:
        """mmengine's loading, then (in a test / val run) the checkpoint's calibrated
        operating point, unless the config sets ``use_operating_point=False``."""
        checkpoint = super().load_checkpoint(filename, *args, **kwargs)
        if getattr(self, '_evaluating', False):
            self._use_operating_point(checkpoint, filename)
        return checkpoint

    def _use_operating_point(self, checkpoint: dict, filename: str) -> None:
        op = (checkpoint.get('meta') or {}).get('operating_point')
        if not op:
            return
        if not self.cfg.get('use_operating_point', True):
            self.logger.info(f'{filename} has a calibrated operating point; not used '
                             '(use_operating_point=False): the config\'s test_cfg applies')
            return
        apply_operating_point(self.bare_model, op)
        for loop in (self._val_loop, self._test_loop):
            for metric in getattr(getattr(loop, 'evaluator', None), 'metrics', []):
                if isinstance(metric, AssistiveMetric):
                    metric.score_thr = float(op['score_thr'])
        self.logger.info(f'using the {format_operating_point(op)} (from {filename}; '
                         'use_operating_point=False keeps the config\'s)')

    def val(self) -> dict:
        self._prepare_quantization('val', train=False)
        self._check_checkpoint()
        self._evaluating = True
        return super().val()

    def test(self) -> dict:
        self._prepare_quantization('test', train=False)
        self._check_checkpoint()
        self._evaluating = True
        return super().test()

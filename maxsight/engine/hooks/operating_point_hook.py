"""``OperatingPointHook``: calibrates the hazard operating point on the last validation of a
training run (or on any validation when ``force``; ``tools/calibrate.py`` sets it).

It collects the val predictions as they are made (no extra pass), sweeps the hazard
threshold, hazard score exponent and display threshold
(:mod:`maxsight.evaluation.calibration`), writes ``<work_dir>/operating_point/curve.png``
and ``points.json``, applies the chosen point to the model in memory, and stores it in
``meta['operating_point']`` of the checkpoints holding these weights (the last one, and the
best one when it was saved at this validation), so ``tools/test.py``, ``maxsight.apis``
and export use it.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.dist import all_gather_object, is_main_process
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop

from ...checkpoint_io import safe_load_checkpoint
from ...evaluation.calibration import (DISPLAY_THRESHOLDS, HAZARD_THRESHOLDS,
                                       SCORE_EXPONENTS, CalibrationImage,
                                       apply_operating_point, choose,
                                       format_operating_point, image_from_sample,
                                       plot_curve, sweep)
from ...registry import HOOKS
from ...utils.cli import unwrap_model
from ..atomic_backend import save_checkpoint_atomic


def store_operating_point(path: str, op: Dict, out: Optional[str] = None) -> str:
    """Write ``op`` into ``meta['operating_point']`` of checkpoint ``path`` (to ``out``, or in
    place), atomically; the weights are untouched. Returns the written path."""
    ckpt = safe_load_checkpoint(path, map_location='cpu')
    ckpt.setdefault('meta', {})['operating_point'] = dict(op)
    save_checkpoint_atomic(ckpt, out or path)
    return out or path


@HOOKS.register_module()
class OperatingPointHook(Hook):
    """Args:
        recall_target: hazard recall the operating point must reach on val (0.95, the
            default gate).
        force: calibrate at every validation, not only the last one of a training run.
        hazard_thresholds, exponents, display_thresholds: the sweep's grids.
        out_dir: folder under the work dir for the curve and the points.
    """
    priority = 'LOWEST'  # after CheckpointHook has saved this validation's best checkpoint

    def __init__(self, recall_target: float = 0.95, force: bool = False,
                 hazard_thresholds: Sequence[float] = HAZARD_THRESHOLDS,
                 exponents: Sequence[float] = SCORE_EXPONENTS,
                 display_thresholds: Sequence[float] = DISPLAY_THRESHOLDS,
                 out_dir: str = 'operating_point'):
        if not 0.0 < recall_target < 1.0:
            raise ValueError(f'OperatingPointHook: recall_target must be in (0, 1), got '
                             f'{recall_target}')
        self.recall_target, self.force, self.out_dir = float(recall_target), force, out_dir
        self.grids = (tuple(hazard_thresholds), tuple(exponents), tuple(display_thresholds))
        self.images: List[CalibrationImage] = []
        self.collecting = self.in_training = False
        self.result: Optional[Dict] = None

    def _last_validation(self, runner) -> bool:
        loop = runner._train_loop  # a config dict until a training run builds it
        if not isinstance(loop, BaseLoop):
            return False
        if hasattr(loop, 'max_epochs'):
            return runner.epoch >= loop.max_epochs
        return runner.iter >= loop.max_iters

    def before_val_epoch(self, runner) -> None:
        self.images = []
        self.in_training = self._last_validation(runner)  # then store in the checkpoints
        self.collecting = self.force or self.in_training

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.collecting:
            return
        try:
            self.images += [image_from_sample(s) for s in outputs]
        except (ValueError, AttributeError, KeyError) as err:
            runner.logger.warning(f'OperatingPointHook: no calibration ({err})')
            self.collecting = False

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not self.collecting:
            return
        self.collecting = False
        images = [im for part in all_gather_object(self.images) for im in part]
        self.images = []
        if not is_main_process():
            return
        if not any(im.gt_hazard.any() for im in images):
            runner.logger.warning('OperatingPointHook: the val split has no ground-truth '
                                  'hazards (urgency >= 2): no operating point set')
            return
        points = sweep(images, *self.grids)
        op = dict(choose(points, self.recall_target), split='val',
                  set_after=f'epoch {runner.epoch}, iteration {runner.iter}')
        self.result = op
        out = osp.join(runner.work_dir, self.out_dir)
        os.makedirs(out, exist_ok=True)
        with open(osp.join(out, 'points.json'), 'w') as f:
            json.dump(dict(operating_point=op, points=points), f, indent=1)
        plot_curve(points, op, osp.join(out, 'curve.png'))
        apply_operating_point(unwrap_model(runner.model), op)
        runner.logger.info(format_operating_point(op) + f'; curve in {out}')
        if not op['meets_target']:
            runner.logger.warning(f'no operating point reaches hazard recall '
                                  f'{self.recall_target:g} on val: the highest recall was '
                                  'chosen (train longer, or lower the target)')
        for path in self._checkpoints_of_these_weights(runner) if self.in_training else ():
            store_operating_point(path, op)
            runner.logger.info(f'operating point stored in {path}')

    @staticmethod
    def _checkpoints_of_these_weights(runner) -> List[str]:
        paths = []
        last = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(last):
            with open(last) as f:
                path = f.read().strip()
            if osp.isfile(path) and osp.basename(path) in (f'epoch_{runner.epoch}.pth',
                                                           f'iter_{runner.iter}.pth'):
                paths.append(path)
        best = runner.message_hub.get_info('best_ckpt')
        if best and osp.isfile(best) and (f'epoch_{runner.epoch}.' in best
                                          or f'iter_{runner.iter}.' in best):
            paths.append(best)
        return paths

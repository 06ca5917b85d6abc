"""A complete evaluation of a checkpoint, as ``tools/test.py`` runs it (DESIGN section 8).

:func:`configure_evaluation` turns a config into a test-only one (no training parts, the
checkpoint as ``load_from``, optional prediction file, lighting metric and pictures);
:func:`evaluate_with_reports` runs ``runner.test()`` and, on request, the lighting
robustness protocol and the per-condition evaluation, then writes the markdown report and
the flat metrics JSON.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.runner import Runner

from ..checkpoint_io import check_checkpoint_file
from .metrics.coco_metric import write_json_atomic

TRAINING_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler')


def _metric_list(cfg: Config) -> List[dict]:
    ev = cfg.test_evaluator
    return list(ev) if isinstance(ev, (list, tuple)) else [ev]


def configure_evaluation(cfg: Config, checkpoint: str, pred_out: Optional[str] = None,
                         lighting: bool = False, show_dir: Optional[str] = None) -> Config:
    """``cfg`` (in place) evaluating ``checkpoint`` on its test split: training parts
    removed (so the runner prepares the test split and reads the class list there), the
    COCO results JSON to ``pred_out``, a ``LightingMetric`` with ``lighting``, rendered
    predictions in ``show_dir``. Returns ``cfg``."""
    check_checkpoint_file(checkpoint)  # before the runner prepares any data
    for key in TRAINING_KEYS:
        cfg[key] = None
    cfg.load_from, cfg.resume = checkpoint, False
    metrics = _metric_list(cfg)
    if pred_out:
        coco = [m for m in metrics if m.get('type') == 'CocoMetric']
        if not coco:
            raise ValueError('--pred-out needs a CocoMetric in test_evaluator')
        coco[0]['pred_out'] = pred_out
    if lighting and not any(m.get('type') == 'LightingMetric' for m in metrics):
        metrics.append(dict(type='LightingMetric', ann_file=None))
    cfg.test_evaluator = metrics
    if show_dir:
        hooks = cfg.setdefault('default_hooks', {})
        hooks['visualization'] = dict(hooks.get('visualization') or
                                      dict(type='ShowPredictionsHook'), out_dir=show_dir)
    return cfg


def evaluate_with_reports(runner: Runner, lighting: bool = False,
                          conditions: Optional[Sequence[str]] = None,
                          report_dir: Optional[str] = None,
                          out: Optional[str] = None) -> Dict[str, float]:
    """``runner.test()`` plus, with ``lighting``, P / mPC / rPC over the lighting
    corruptions, with ``conditions``, ``condition/<name>/bbox_mAP``; the report goes to
    ``report_dir`` (default ``<work_dir>/report``), the flat metrics to ``out``."""
    from .robustness import condition_evaluation, lighting_robustness, write_report
    metrics = {k: float(v) for k, v in runner.test().items()}
    gates, missed = None, []
    for metric in runner.test_loop.evaluator.metrics:
        report = getattr(metric, 'last_report', {}) or {}
        gates = report.get('gates', gates)
        missed = report.get('missed_hazards', missed)
    clean = metrics.get('coco/bbox_mAP', 0.0)
    if lighting:
        metrics.update(lighting_robustness(runner.model, runner.cfg.test_dataloader, clean,
                                           seed=runner.cfg.get('randomness', {}).get('seed', 0)))
    if conditions:
        metrics.update(condition_evaluation(runner.model, runner.cfg.test_dataloader, clean,
                                            conditions))
    written = write_report(metrics, report_dir or osp.join(runner.work_dir, 'report'), gates,
                           missed, runner.test_dataloader.dataset.metainfo['classes'])
    runner.logger.info(f'report written: {", ".join(written)}')
    if out:
        write_json_atomic(out, metrics)
        runner.logger.info(f'metrics written to {out}')
    return metrics

"""Evaluate a checkpoint: python tools/test.py CONFIG CHECKPOINT [options] (DESIGN 8).

Reports COCO mAP (pycocotools) and the assistive metrics of the test evaluator; with
``--lighting`` per-lighting-bucket mAP/recall and the corruption robustness protocol
(P, mPC, rPC); with ``--conditions`` mAP under each vision condition's preprocessing.
A markdown report with PNG plots goes to ``--report-dir`` (default <work_dir>/report).
"""
import argparse
import os
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight import register_all_modules  # noqa: E402
from maxsight.datasets.transforms import VISION_CONDITIONS  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.engine.transfer import check_same_architecture  # noqa: E402
from maxsight.utils.cli import (check_config_values, clean_work_dir_on_failure,  # noqa: E402
                                run_tool, unwrap_model)
from maxsight.utils import (apply_condition, init_cpu_distributed, load_config,  # noqa: E402
                            prepare_config)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a MaxSight checkpoint')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--work-dir', help='folder for logs (default work_dirs/<config name>)')
    parser.add_argument('--out', help='write the metrics as flat JSON to this file')
    parser.add_argument('--pred-out', help='write the COCO results JSON (image_id, '
                        'category_id, bbox xywh, score, distance_m, distance_zone, urgency)')
    parser.add_argument('--lighting', action='store_true',
                        help='per-lighting-bucket mAP/recall and corruption robustness')
    parser.add_argument('--conditions', metavar='all|a,b',
                        help='mAP with each vision condition\'s preprocessing')
    parser.add_argument('--show-dir', help='save rendered predictions here')
    parser.add_argument('--report-dir', help='markdown report and plots '
                        '(default <work_dir>/report)')
    parser.add_argument('--condition', choices=VISION_CONDITIONS, metavar='NAME',
                        help='evaluate a model specialised to one vision condition')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override config entries, e.g. '
                        'test_dataloader.dataset.data_root=DIR')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.conditions:
        from maxsight.evaluation.robustness import parse_conditions
        try:
            args.conditions = parse_conditions(args.conditions)
        except ValueError as e:
            parser.error(str(e))
    return args


def _metric_list(cfg: Config) -> list:
    ev = cfg.test_evaluator
    return list(ev) if isinstance(ev, (list, tuple)) else [ev]


def build_config(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint not found: {args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.launcher = args.launcher
    if args.condition:
        apply_condition(cfg, args.condition, splits=('test',),
                        suffix_work_dir=not args.work_dir)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    check_config_values(cfg)
    metrics = _metric_list(cfg)
    if args.pred_out:
        coco = [m for m in metrics if m.get('type') == 'CocoMetric']
        if not coco:
            raise SystemExit('error: --pred-out needs a CocoMetric in test_evaluator')
        coco[0]['pred_out'] = args.pred_out
    if args.lighting and not any(m.get('type') == 'LightingMetric' for m in metrics):
        metrics.append(dict(type='LightingMetric', ann_file=None))
    cfg.test_evaluator = metrics
    if args.show_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='ShowPredictionsHook', out_dir=args.show_dir)]
    # the test split's class list must match the checkpoint's model
    return prepare_config(cfg, splits=('test',))


class _Timer:
    """Accumulates the time spent in an evaluator's process() and evaluate()."""

    def __init__(self, evaluator):
        self.seconds = 0.0
        for name in ('process', 'evaluate'):
            setattr(evaluator, name, self._wrap(getattr(evaluator, name)))

    def _wrap(self, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
        return timed


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    cfg = build_config(args)
    init_cpu_distributed(args.launcher)
    with clean_work_dir_on_failure(cfg.work_dir):
        return _evaluate(args, cfg)


def _evaluate(args: argparse.Namespace, cfg: Config) -> dict:
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    if cfg.get('quantization'):  # the checkpoint holds the prepared (QAT / PTQ) model
        from maxsight.quantization.tool_support import prepare_for_tool
        runner.logger.info(prepare_for_tool(unwrap_model(runner.model), cfg, 'test',
                                            train=False))
    check_same_architecture(args.checkpoint, unwrap_model(runner.model), args.config)
    timer = _Timer(runner.test_loop.evaluator)
    metrics = runner.test()
    total = time.perf_counter() - start
    runner.logger.info(f'metric computation took {timer.seconds:.2f} s of {total:.2f} s '
                       f'(runner build + inference + metrics), '
                       f'{100 * timer.seconds / total:.1f} %')
    metrics = {k: float(v) for k, v in metrics.items()}
    gates = None
    for metric in runner.test_loop.evaluator.metrics:
        gates = getattr(metric, 'last_report', {}).get('gates', gates)
    if args.lighting or args.conditions:
        from maxsight.evaluation.robustness import condition_evaluation, lighting_robustness
        model = runner.model
        clean = metrics.get('coco/bbox_mAP', 0.0)
        if args.lighting:
            metrics.update(lighting_robustness(model, cfg.test_dataloader, clean,
                                               seed=cfg.get('randomness', {}).get('seed', 0)))
        if args.conditions:
            metrics.update(condition_evaluation(model, cfg.test_dataloader, clean,
                                                args.conditions))
    from maxsight.evaluation.robustness import write_report
    report_dir = args.report_dir or osp.join(cfg.work_dir, 'report')
    written = write_report(metrics, report_dir, gates)
    runner.logger.info(f'report written: {", ".join(written)}')
    if args.out:
        write_json_atomic(args.out, metrics)
        runner.logger.info(f'metrics written to {args.out}')
    return metrics


if __name__ == '__main__':
    run_tool(main)

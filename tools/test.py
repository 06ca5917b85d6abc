"""Evaluate a checkpoint: python tools/test.py CONFIG CHECKPOINT [options] (DESIGN 8)."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight import register_all_modules  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.datasets.transforms import VISION_CONDITIONS  # noqa: E402
from maxsight.utils import apply_condition, prepare_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a MaxSight checkpoint')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--work-dir', help='folder for logs (default work_dirs/<config name>)')
    parser.add_argument('--out', help='write the metrics as flat JSON to this file')
    parser.add_argument('--pred-out', help='write the COCO results JSON (image_id, '
                        'category_id, bbox xywh, score, distance_m, distance_zone, urgency)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override config entries, e.g. '
                        'test_dataloader.dataset.data_root=DIR')
    parser.add_argument('--condition', choices=VISION_CONDITIONS, metavar='NAME',
                        help='vision condition: its preprocessing, the model\'s condition '
                        'input and the work dir suffix _NAME (one of: '
                        + ', '.join(VISION_CONDITIONS) + ')')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    for path, what in ((args.config, 'config file'), (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            raise SystemExit(f'error: {what} not found: {path}')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif not cfg.get('work_dir'):
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.condition:
        apply_condition(cfg, args.condition, splits=('test',),
                        suffix_work_dir=not args.work_dir)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.pred_out:
        metrics = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
            cfg.test_evaluator]
        coco = [m for m in metrics if m.get('type') == 'CocoMetric']
        if not coco:
            raise SystemExit('error: --pred-out needs a CocoMetric in test_evaluator')
        coco[0]['pred_out'] = args.pred_out
    # the test split's class list must match the checkpoint's model
    return prepare_config(cfg, splits=('test',))


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    cfg = build_config(args)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    metrics = {k: float(v) for k, v in metrics.items()}
    if args.out:
        write_json_atomic(args.out, metrics)
        runner.logger.info(f'metrics written to {args.out}')
    return metrics


if __name__ == '__main__':
    main()

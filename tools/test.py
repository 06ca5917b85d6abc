"""Evaluate a checkpoint: python tools/test.py CONFIG CHECKPOINT [options] (DESIGN 8).

Reports COCO mAP (pycocotools) and the assistive metrics of the test evaluator; with
``--lighting`` per-lighting-bucket mAP/recall and the corruption robustness protocol
(P, mPC, rPC); with ``--conditions`` mAP under each vision condition's preprocessing.
A markdown report with PNG plots goes to ``--report-dir`` (default <work_dir>/report).
The evaluation itself is maxsight/evaluation/evaluation_run.py.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

# light imports only: --help answers without loading torch
from maxsight.conditions import VISION_CONDITIONS  # noqa: E402
from maxsight.tool_runner import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate a MaxSight checkpoint: COCO mAP, assistive metrics and safety '
                    'gates, and on request lighting robustness and vision conditions.')
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
    parser.add_argument('--launcher',
                        help='pytorch: one process of a torchrun job',
                        choices=['none', 'pytorch'], default='none')
    parser.add_argument('--local_rank', '--local-rank', help='set by torchrun', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.conditions:
        from maxsight.evaluation.robustness import parse_conditions
        try:
            args.conditions = parse_conditions(args.conditions)
        except ValueError as e:
            parser.error(str(e))
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    from maxsight import register_all_modules
    from maxsight.engine import build_runner
    from maxsight.evaluation.evaluation_run import configure_evaluation, evaluate_with_reports
    from maxsight.utils import default_work_dir, load_config
    from maxsight.utils.cli import clean_work_dir_on_failure
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.launcher = args.launcher
    if args.condition:
        cfg.vision_condition = args.condition
    configure_evaluation(cfg, args.checkpoint, args.pred_out, args.lighting, args.show_dir)
    with clean_work_dir_on_failure(default_work_dir(cfg)):
        return evaluate_with_reports(build_runner(cfg), args.lighting, args.conditions,
                                     args.report_dir, args.out)


if __name__ == '__main__':
    run_tool(main)

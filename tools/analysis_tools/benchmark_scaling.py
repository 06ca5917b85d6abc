"""How cost grows with the work: seconds per image against image size and objects.

Train / inference seconds per image against image size, and Hungarian matching seconds
per image against the number of objects (with and without the candidate pre-selection).
What each figure means: maxsight/analysis/scaling.py.

python tools/analysis_tools/benchmark_scaling.py CONFIG [--sizes 256,512,640,1024]
    [--objects 1,10,50,100] [--match-size 640] [--iters 5] [--out scaling.json]
    [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.common import load_prepared  # noqa: E402
from maxsight.analysis.scaling import image_size_curve, matching_curve  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def _ints(text: str):
    return [int(v) for v in text.split(',') if v]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description='Measure how training, inference and matching time grow with image size and '
                    'objects per image.')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--sizes', type=_ints, default=[256, 512, 640, 1024],
                        help='square image sizes in pixels, comma-separated')
    parser.add_argument('--objects', type=_ints, default=[1, 10, 50, 100],
                        help='objects per image for the matching curve, comma-separated')
    parser.add_argument('--match-size', type=int, default=640,
                        help='image size of the matching curve (pixels)')
    parser.add_argument('--iters', help='timed iterations per point', type=int, default=5)
    parser.add_argument('--warmup', help='untimed iterations first', type=int, default=2)
    parser.add_argument('--out', help='write the figures as JSON')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    cfg = load_prepared(args.config, args.cfg_options, splits=('train',))
    results = dict(config=args.config,
                   image_size=image_size_curve(cfg, args.sizes, iters=args.iters,
                                               warmup=args.warmup),
                   matching=matching_curve(cfg, args.match_size, args.objects,
                                           iters=args.iters, warmup=args.warmup))
    if args.out:
        write_json_atomic(args.out, results, indent=2)
    return results


if __name__ == '__main__':
    run_tool(main)

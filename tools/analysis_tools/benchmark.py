"""Speed, memory and compute efficiency of a MaxSight config against a standard peer
(torchvision FCOS, ResNet-18 FPN, from scratch), measured in one run on the same data and
image size: train img/s, inference img/s at batch 1 and 8, peak memory, training FLOPs
per image and the achieved fraction of this machine's fp32 peak (the better of a matmul
and a convolution), then the ratios.
What each figure means: maxsight/analysis/speed.py.

python tools/analysis_tools/benchmark.py CONFIG [--iters 20] [--warmup 3]
    [--peer fcos|none] [--backbones resnet18,mobilenet_v3_large,...] [--out bench.json]
    [--cfg-options k=v ...] [--changed-options k=v ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.common import load_prepared  # noqa: E402
from maxsight.analysis.speed import run_benchmark  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description='Measure the speed, memory and compute efficiency of a MaxSight config '
                    'against the FCOS ResNet-18 FPN peer, in one run on the same data.')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--iters', help='timed iterations', type=int, default=20)
    parser.add_argument('--warmup', help='untimed iterations first', type=int, default=3)
    parser.add_argument('--peer',
                        help='the peer to measure beside it (none: skip)',
                        choices=['fcos', 'none'], default='fcos')
    parser.add_argument('--backbones', default='',
                        help='comma-separated torchvision backbones (resnet18, resnet34, '
                             'resnet50, mobilenet_v3_large, convnext_tiny, efficientnet_b0) '
                             'measured in the same run, each in place of the config\'s')
    parser.add_argument('--changed-options', nargs='+', action=DictAction, default=None,
                        help='also measure the config with these entries changed, in the '
                             'same run (a change\'s before / after), e.g. '
                             'optim_wrapper.optimizer.fused=True')
    parser.add_argument('--out', help='write the figures as JSON')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    cfg = load_prepared(args.config, args.cfg_options, splits=('train',))
    backbones = [b for b in args.backbones.split(',') if b]
    changed = None
    if args.changed_options:
        changed = load_prepared(args.config, {**args.cfg_options, **args.changed_options},
                                splits=('train',))
    results = run_benchmark(cfg, args.iters, args.warmup, args.peer, name=args.config,
                            backbones=backbones, changed=changed)
    if args.out:
        write_json_atomic(args.out, results, indent=2)
    return results


if __name__ == '__main__':
    run_tool(main)

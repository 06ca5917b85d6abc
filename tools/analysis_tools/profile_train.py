"""Where a training step's time goes: a cProfile breakdown of MaxSight's train step
(data preprocessor, forward + losses, head losses, Hungarian matching, GradNorm update,
backward, optimiser step) on pre-loaded batches; see maxsight/analysis/profiling.py.

python tools/analysis_tools/profile_train.py CONFIG [--iters 8] [--warmup 3]
    [--out profile.json] [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.common import load_prepared  # noqa: E402
from maxsight.analysis.profiling import profile_train_step  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description="Profile where a training step's time goes (cProfile, by section).")
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--iters', help='profiled iterations', type=int, default=8)
    parser.add_argument('--warmup', help='unprofiled iterations first', type=int, default=3)
    parser.add_argument('--out', help='write the figures as JSON')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    cfg = load_prepared(args.config, args.cfg_options, splits=('train',))
    result = dict(config=args.config, **profile_train_step(cfg, args.iters, args.warmup))
    step_ms = result['step_ms']
    print(f'{args.config}: {step_ms:.1f} ms per training step (batch '
          f'{cfg.train_dataloader.batch_size}, {args.iters} steps, under cProfile)')
    for label, ms in result['sections_ms'].items():
        print(f'  {label:<34} {ms:8.1f} ms  {100 * ms / step_ms:5.1f} %')
    if args.out:
        write_json_atomic(args.out, result, indent=2)
    return result


if __name__ == '__main__':
    run_tool(main)

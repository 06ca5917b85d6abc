"""Where a training step's time goes: a cProfile breakdown of MaxSight's train step.

python tools/analysis_tools/profile_train.py CONFIG [--iters 8] [--warmup 3]
    [--out profile.json] [--cfg-options k=v ...]

Runs ``--warmup`` then ``--iters`` training steps of CONFIG's model on pre-loaded batches
of its training data (data loading is not timed; see benchmark_pipeline.py for that) under
cProfile and prints, per step, the time in: the data preprocessor, the forward pass with
its losses, the head's losses (matching included), the Hungarian matching, GradNorm's
task-weight update, the backward pass and the optimiser step, with their share of the
step. Compare a change of the Python parts with ``--cfg-options`` in two runs of the same
session; cProfile's own overhead hides differences inside the kernels (e.g. the memory
layout, ``model.channels_last``): time those with benchmark.py.
"""
import argparse
import cProfile
import os.path as osp
import pstats
import sys
import time
from typing import Dict, List, Tuple

import torch
from mmengine.config import DictAction
from mmengine.optim import build_optim_wrapper

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.registry import MODELS  # noqa: E402
from maxsight.utils import load_config, preload_batches, prepare_config  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402

# (label, file path suffix, function name): cumulative time of that function per step;
# the optimiser step is the wrapper's outermost step (GuardedOptimWrapper's finiteness
# check included when the config uses it)
SECTIONS: List[Tuple[str, str, str]] = [
    ('data preprocessor', 'data_preprocessors/det_data_preprocessor.py', 'forward'),
    ('forward + losses', 'detectors/maxsight_detector.py', 'forward'),
    ('  head losses (incl. matching)', 'heads/multitask_dense_head.py', 'loss_by_preds'),
    ('    Hungarian matching', 'task_modules/hungarian_matcher.py', 'match'),
    ('GradNorm task-weight update', 'balancers/gradnorm.py', 'gradnorm_update'),
    ('backward', 'torch/_tensor.py', 'backward'),
    ('optimiser step', 'optim/optimizer/optimizer_wrapper.py', 'step'),
]
GUARDED_STEP = ('engine/stability.py', 'step')


def section_seconds(stats: pstats.Stats) -> Dict[str, float]:
    """Cumulative seconds of each SECTIONS entry in ``stats`` (0 when never called)."""
    def cumulative(suffix: str, func: str) -> float:
        return sum(row[3] for (path, _, name), row in stats.stats.items()
                   if name == func and path.replace('\\', '/').endswith(suffix))
    out = {label: cumulative(suffix, func) for label, suffix, func in SECTIONS}
    out['optimiser step'] = max(out['optimiser step'], cumulative(*GUARDED_STEP))
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--out', help='write the figures as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    if args.iters < 1 or args.warmup < 0:
        raise ValueError('--iters must be >= 1 and --warmup >= 0')
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    prepare_config(cfg, splits=('train',))
    batches = preload_batches(cfg.train_dataloader, 2)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    for i in range(args.warmup):
        model.train_step(batches[i % len(batches)], optim)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for i in range(args.iters):
        model.train_step(batches[i % len(batches)], optim)
    profiler.disable()
    step_s = (time.perf_counter() - start) / args.iters
    per_step = {k: v / args.iters for k, v in section_seconds(pstats.Stats(profiler)).items()}
    print(f'{args.config}: {step_s * 1e3:.1f} ms per training step (batch '
          f'{cfg.train_dataloader.batch_size}, {args.iters} steps, under cProfile)')
    for label, seconds in per_step.items():
        print(f'  {label:<34} {seconds * 1e3:8.1f} ms  {100 * seconds / step_s:5.1f} %')
    result = dict(config=args.config, step_ms=step_s * 1e3,
                  sections_ms={k: v * 1e3 for k, v in per_step.items()})
    if args.out:
        write_json_atomic(args.out, result, indent=2)
    return result


if __name__ == '__main__':
    run_tool(main)

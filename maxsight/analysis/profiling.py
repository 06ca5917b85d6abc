"""Where a training step's time goes: a cProfile breakdown of MaxSight's train step.

What ``tools/analysis_tools/profile_train.py CONFIG`` runs (:func:`profile_train_step`):
``warmup`` then ``iters`` training steps of CONFIG's model on pre-loaded batches
of its training data (data loading is not timed; see benchmark_pipeline.py for that) under
cProfile and prints, per step, the time in: the data preprocessor, the forward pass with
its losses, the head's losses (matching included), the Hungarian matching, GradNorm's
task-weight update, the backward pass and the optimiser step, with their share of the
step. Compare a change of the Python parts with ``--cfg-options`` in two runs of the same
session; cProfile's own overhead hides differences inside the kernels (e.g. the memory
layout, ``model.channels_last``): time those with benchmark.py.
"""
import cProfile
import pstats
import time
from typing import Dict, List, Tuple

from mmengine.config import Config

from ..utils.config_preparation import preload_batches
from .common import build_trainable

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


def profile_train_step(cfg: Config, iters: int = 8, warmup: int = 3) -> Dict:
    """``{'step_ms': mean step, 'sections_ms': {label: ms per step}}`` of prepared
    ``cfg``'s training step under cProfile (module docstring)."""
    if iters < 1 or warmup < 0:
        raise ValueError('--iters must be >= 1 and --warmup >= 0')
    batches = preload_batches(cfg.train_dataloader, 2)
    model, optim = build_trainable(cfg)
    for i in range(warmup):
        model.train_step(batches[i % len(batches)], optim)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for i in range(iters):
        model.train_step(batches[i % len(batches)], optim)
    profiler.disable()
    step_s = (time.perf_counter() - start) / iters
    per_step = {k: v / iters for k, v in section_seconds(pstats.Stats(profiler)).items()}
    return dict(step_ms=step_s * 1e3, sections_ms={k: v * 1e3 for k, v in per_step.items()})

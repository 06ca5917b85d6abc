"""Cost of a task balancer: train-step time against static weights, measured in one run
(``tools/analysis_tools/benchmark_balancer.py``).

Both models start from the same weights and see the same pre-loaded batches; steps
alternate between the two so machine noise hits both alike. A balancer that works every
k-th step is charged its average.
"""
import copy
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from ..registry import MODELS
from ..utils.config_preparation import preload_batches


def balancer_cost(cfg: Config, steps: int = 20) -> dict:
    """``{'mean_s': {'static': s, <balancer>: s}, 'ratio': balancer / static}`` for
    prepared ``cfg`` (2 warm-up steps each, not timed)."""
    batches = preload_batches(cfg.train_dataloader, 3)
    torch.manual_seed(0)
    tested = MODELS.build(cfg.model)
    static_cfg = copy.deepcopy(cfg.model)
    static_cfg.balancer = dict(type='StaticWeights')
    static = MODELS.build(static_cfg)
    static.load_state_dict(tested.state_dict(), strict=False)
    runs = {}
    for name, model in (('static', static), (cfg.model.balancer.type, tested)):
        model.train()
        runs[name] = dict(model=model, times=[], wrapper=OptimWrapper(
            torch.optim.AdamW(model.parameters(), lr=1e-4)))
    for step in range(steps + 2):
        for run in runs.values():
            start = time.perf_counter()
            run['model'].train_step(batches[step % len(batches)], run['wrapper'])
            if step >= 2:  # warm-up
                run['times'].append(time.perf_counter() - start)
    mean = {n: statistics.mean(r['times']) for n, r in runs.items()}
    names = list(mean)
    return dict(mean_s=mean, ratio=mean[names[1]] / mean[names[0]])

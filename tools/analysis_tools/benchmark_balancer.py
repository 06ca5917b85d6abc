"""Cost of a task balancer: train-step time against static weights, measured in one run.

python tools/analysis_tools/benchmark_balancer.py CONFIG [--steps 20] [--balancer GradNorm]

Both models start from the same weights and see the same pre-loaded batches; steps
alternate between the two so machine noise hits both alike. Prints the mean step times
(a balancer that works every k-th step is charged its average) and their ratio.
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import time

import torch
from mmengine.config import DictAction
from mmengine.optim import OptimWrapper

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.registry import MODELS  # noqa: E402
from maxsight.utils import load_config, preload_batches, prepare_config  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    prepare_config(cfg, splits=('train',))
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
    for step in range(args.steps + 2):
        for name, run in runs.items():
            start = time.perf_counter()
            run['model'].train_step(batches[step % len(batches)], run['wrapper'])
            if step >= 2:  # warm-up
                run['times'].append(time.perf_counter() - start)
    med = {n: statistics.mean(r['times']) for n, r in runs.items()}
    names = list(med)
    for n in names:
        print(f'{n:14s} mean step {1000 * med[n]:8.1f} ms')
    ratio = med[names[1]] / med[names[0]]
    print(f'{names[1]} / static step time: {ratio:.3f}')
    return dict(mean_s=med, ratio=ratio)


if __name__ == '__main__':
    main()

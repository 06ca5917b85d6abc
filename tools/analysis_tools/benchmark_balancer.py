"""Cost of a task balancer: train-step time against static weights, measured in one run
with alternating steps (maxsight/analysis/balancer_cost.py).

python tools/analysis_tools/benchmark_balancer.py CONFIG [--steps 20] [--cfg-options ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.balancer_cost import balancer_cost  # noqa: E402
from maxsight.analysis.common import load_prepared  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description='Measure the cost of a task balancer: its train-step time against static '
                    'weights, in one run.')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--steps', help='timed steps of each', type=int, default=20)
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    res = balancer_cost(load_prepared(args.config, args.cfg_options), args.steps)
    names = list(res['mean_s'])
    for n in names:
        print(f'{n:14s} mean step {1000 * res["mean_s"][n]:8.1f} ms')
    print(f'{names[1]} / static step time: {res["ratio"]:.3f}')
    return res


if __name__ == '__main__':
    run_tool(main)

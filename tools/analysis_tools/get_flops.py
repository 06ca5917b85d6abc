"""Parameters and FLOPs per image of a config's model, by module.

One validation image at the test resolution; maxsight/analysis/flops.py says what is
counted.

python tools/analysis_tools/get_flops.py CONFIG [--depth 1] [--cfg-options ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.common import load_prepared  # noqa: E402
from maxsight.analysis.flops import count  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description="Count the parameters and FLOPs per image of a config's model, by module.")
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--depth', type=int, default=1, help='module name depth to group by')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    res = count(load_prepared(args.config, args.cfg_options, splits=('val',)), args.depth)
    print(f'input {res["input"][0]}x{res["input"][1]} (padded), per image'
          + (f' (clip of {res["frames"]} frames / {res["frames"]})' if res['frames'] > 1 else ''))
    print(f'{"module":28s} {"params":>10s} {"GFLOPs":>8s}')
    for name in sorted(set(res['params']) | set(res['flops'])):
        print(f'{name:28s} {res["params"].get(name, 0):10,d} '
              f'{res["flops"].get(name, 0) / 1e9:8.3f}')
    print(f'{"total":28s} {sum(res["params"].values()):10,d} {res["total_flops"] / 1e9:8.3f}')
    return res


if __name__ == '__main__':
    run_tool(main)

"""Plot training curves from mmengine's scalar logs.

python tools/analysis_tools/analyze_logs.py plot_curve LOG [LOG ...] [--keys k ...]
    [--out curves.png] [--legend name ...]

LOG is a run's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (or its work dir, the
newest run is used). Train scalars (losses, task weights, learning rate) are plotted
against the iteration, validation metrics (``coco/bbox_mAP`` ...) against the epoch; one
panel per key, one line per log. Without ``--keys`` every logged scalar is plotted.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.log_curves import plot_curve, resolve_log  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(
        description="Plot training curves from mmengine's scalar logs.")
    sub = parser.add_subparsers(dest='command', required=True)
    pc = sub.add_parser('plot_curve', help='plot scalars against iteration / epoch',
                        description='Plot scalars of one or more runs against iteration '
                                    'or epoch.')
    pc.add_argument('logs', nargs='+', help='work dirs, run folders or scalars.json files')
    pc.add_argument('--keys', help='scalars to plot', nargs='+', default=[])
    pc.add_argument('--out', help='PNG to write', default='curves.png')
    pc.add_argument('--legend', help='one legend entry per log', nargs='+')
    args = parser.parse_args(argv)
    legend = args.legend or [osp.basename(osp.dirname(osp.dirname(resolve_log(p))))
                             for p in args.logs]
    if len(legend) != len(args.logs):
        parser.error('--legend needs one name per log')
    out = plot_curve(args.logs, args.keys, args.out, legend)
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    run_tool(main)

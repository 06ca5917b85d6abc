"""Plot training curves from mmengine's scalar logs.

python tools/analysis_tools/analyze_logs.py plot_curve LOG [LOG ...] [--keys k ...]
    [--out curves.png] [--legend name ...]

LOG is a run's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (or its work dir, the
newest run is used). Train scalars (losses, task weights, learning rate) are plotted
against the iteration, validation metrics (``coco/bbox_mAP`` ...) against the epoch; one
panel per key, one line per log. Without ``--keys`` every logged scalar is plotted.
"""
import argparse
import glob
import json
import math
import os.path as osp
import sys
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

SKIP = {'step', 'epoch', 'iter', 'time', 'data_time', 'memory'}


def resolve_log(path: str) -> str:
    if osp.isdir(path):
        found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        if not found:
            raise SystemExit(f'error: no */vis_data/scalars.json under {path}')
        return found[-1]
    if not osp.isfile(path):
        raise SystemExit(f'error: log not found: {path}')
    return path


def load_scalars(path: str) -> Dict[str, Dict[str, List[float]]]:
    """{'train'|'val': {key: [(x, value), ...]}}; train x = iteration, val x = epoch."""
    series = {'train': {}, 'val': {}}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f'error: {path}:{n}: not JSON ({e})') from None
            mode = 'train' if 'lr' in rec or 'loss' in rec else 'val'
            x = rec.get('iter', rec.get('step')) if mode == 'train' else rec.get('step')
            for key, value in rec.items():
                if key not in SKIP and isinstance(value, (int, float)):
                    series[mode].setdefault(key, []).append((x, float(value)))
    return series


def plot_curve(logs: List[str], keys: List[str], out: str, legend: List[str]) -> str:
    data = [load_scalars(resolve_log(p)) for p in logs]
    if not keys:
        keys = sorted({k for d in data for mode in d.values() for k in mode})
    missing = [k for k in keys if not any(k in d[m] for d in data for m in d)]
    if missing:
        raise SystemExit(f'error: keys not in the logs: {missing}')
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for d, name in zip(data, legend):
            mode = 'train' if key in d['train'] else 'val'
            if key not in d[mode]:
                continue
            xs, ys = zip(*d[mode][key])
            ax.plot(xs, ys, marker='o' if mode == 'val' else None, label=name)
            ax.set_xlabel('iteration' if mode == 'train' else 'epoch')
        ax.set_title(key)
        if len(logs) > 1:
            ax.legend()
    for ax in list(axes.flat)[len(keys):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    pc = sub.add_parser('plot_curve', help='plot scalars against iteration / epoch')
    pc.add_argument('logs', nargs='+')
    pc.add_argument('--keys', nargs='+', default=[])
    pc.add_argument('--out', default='curves.png')
    pc.add_argument('--legend', nargs='+')
    args = parser.parse_args(argv)
    legend = args.legend or [osp.basename(osp.dirname(osp.dirname(resolve_log(p))))
                             for p in args.logs]
    if len(legend) != len(args.logs):
        parser.error('--legend needs one name per log')
    out = plot_curve(args.logs, args.keys, args.out, legend)
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    sys.exit(0 if main() else 1)

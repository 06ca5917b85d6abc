"""Training curves from mmengine's scalar logs (``tools/analysis_tools/analyze_logs.py``).

A log is a run's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (or its work dir: the
newest run). Train scalars (losses, task weights, learning rate) are plotted against the
iteration, validation metrics (``coco/bbox_mAP`` ...) against the epoch.
"""
import glob
import json
import math
import os.path as osp
from typing import Dict, List

import matplotlib

from ..utils.errors import ToolError

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

SKIP = {'step', 'epoch', 'iter', 'time', 'data_time', 'memory'}


def resolve_log(path: str) -> str:
    """The scalars file of ``path``: itself, or the newest run's under a work dir."""
    if osp.isdir(path):
        found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        if not found:
            raise ToolError(f'no */vis_data/scalars.json under {path}')
        return found[-1]
    if not osp.isfile(path):
        raise ToolError(f'log not found: {path}')
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
                raise ToolError(f'{path}:{n}: not JSON ({e})') from None
            mode = 'train' if 'lr' in rec or 'loss' in rec else 'val'
            x = rec.get('iter', rec.get('step')) if mode == 'train' else rec.get('step')
            for key, value in rec.items():
                if key not in SKIP and isinstance(value, (int, float)):
                    series[mode].setdefault(key, []).append((x, float(value)))
    return series


def plot_curve(logs: List[str], keys: List[str], out: str, legend: List[str]) -> str:
    """One panel per key (all logged scalars when ``keys`` is empty), one line per log,
    written as a PNG to ``out``; returns ``out``."""
    data = [load_scalars(resolve_log(p)) for p in logs]
    if not keys:
        keys = sorted({k for d in data for mode in d.values() for k in mode})
    missing = [k for k in keys if not any(k in d[m] for d in data for m in d)]
    if missing:
        raise ToolError(f'keys not in the logs: {missing}')
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

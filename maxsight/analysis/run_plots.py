"""The plots a researcher looks at first after training, written to ``<work_dir>/plots``
by ``TrainingPlotsHook``: loss and learning-rate curves, validation metric curves, AP per
class and the zone and urgency confusion matrices of the last validation (the hazard
recall against false alerts curve is the operating point's, ``operating_point/curve.png``).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import matplotlib
import numpy as np

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from ..datasets.labels import URGENCY_NAMES, ZONE_NAMES  # noqa: E402
from .log_curves import load_scalars, plot_curve  # noqa: E402

VAL_KEYS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'urgency/hazard_recall', 'distance/zone_acc',
            'urgency/acc', 'scene/urgency_acc')


def _save(fig, path: str) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def curve_plots(scalars_file: str, out_dir: str) -> List[str]:
    """``losses.png`` (every loss and the learning rate against the iteration) and
    ``val_metrics.png`` (the main validation metrics against the epoch), drawn by
    :func:`~maxsight.analysis.log_curves.plot_curve`."""
    data = load_scalars(scalars_file)
    train = data['train']
    loss_keys = ['loss'] + sorted(k for k in train if k.startswith('loss_')) + ['lr']
    written = []
    for keys, series, name in ((loss_keys, train, 'losses.png'),
                               (VAL_KEYS, data['val'], 'val_metrics.png')):
        keys = [k for k in keys if k in series]
        if keys:
            written.append(plot_curve([scalars_file], keys, osp.join(out_dir, name), ['']))
    return written


def per_class_ap_plot(aps: Dict[str, float], path: str) -> str:
    """Horizontal bars of AP@[.5:.95] per class (classes without ground truth: n/a)."""
    names = list(aps)
    values = [0.0 if np.isnan(aps[n]) else aps[n] for n in names]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(names) + 1.2))
    ax.barh(names, values, color='#4477aa')
    for i, n in enumerate(names):
        ax.text(values[i] + 0.01, i, 'n/a' if np.isnan(aps[n]) else f'{aps[n]:.3f}',
                va='center', fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(values + [0.1]) * 1.2)
    ax.set_xlabel('AP@[.5:.95]')
    ax.set_title('AP per class (last validation)')
    return _save(fig, path)


def confusion_plot(matrix: Sequence[Sequence[int]], names: Sequence[str], title: str,
                   path: str) -> str:
    """A confusion matrix (rows: ground truth) coloured by row share, with its counts."""
    m = np.asarray(matrix, dtype=np.float64)
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.1 * len(names) + 2, 1.0 * len(names) + 1.4))
    ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f'{int(m[i, j])}\n{share[i, j]:.0%}', ha='center', va='center',
                    fontsize=8, color='white' if share[i, j] > 0.5 else 'black')
    ax.set_xticks(range(len(names)), names, rotation=30)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('ground truth')
    ax.set_title(title)
    return _save(fig, path)


def training_plots(scalars_file: Optional[str], out_dir: str,
                   aps: Optional[Dict[str, float]] = None,
                   assistive_report: Optional[dict] = None) -> List[str]:
    """Every plot the inputs allow, into ``out_dir``; returns the written paths."""
    os.makedirs(out_dir, exist_ok=True)
    written = curve_plots(scalars_file, out_dir) if scalars_file and osp.isfile(
        scalars_file) else []
    if aps:
        written.append(per_class_ap_plot(aps, osp.join(out_dir, 'per_class_ap.png')))
    if assistive_report:
        written.append(confusion_plot(assistive_report['zone_confusion'], ZONE_NAMES,
                                      'Distance zone (matched objects)',
                                      osp.join(out_dir, 'confusion_zone.png')))
        written.append(confusion_plot(assistive_report['urgency_confusion'], URGENCY_NAMES,
                                      'Urgency (matched objects)',
                                      osp.join(out_dir, 'confusion_urgency.png')))
    return written

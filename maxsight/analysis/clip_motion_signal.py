"""How well a T5 model's motion cue measures each object's approach.

For every annotated clip object with a known motion, the prediction whose box overlaps it
most in its frame is taken (if the IoU reaches ``min_iou``: the objects the detector
finds), and the slopes :class:`~maxsight.models.layers.ClipMotionRefiner` reads there (log
box height and log distance along the prediction's track, per frame) are set against the
object's true rate of approach v / d (1 / s; 1 / time to contact when approaching). A
slope with no noise is proportional to that rate (correlation 1); its correlation with it
says how much of the motion the detector's own predictions carry for the refiner to use.
"""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.runner import Runner
from torchvision.ops import box_iou

from ..engine.transfer import load_same_architecture
from ..registry import MODELS
from .common import load_prepared

#: bins of the true rate v / d (1 / s): not approaching or far, time to contact > 3 s,
#: 1-3 s, < 1 s (the urgency rule's threat term is 1 within 1 s and 0.5 at 3 s)
RATE_BINS = ((-math.inf, 0.05), (0.05, 1 / 3), (1 / 3, 1.0), (1.0, math.inf))


def signal_summary(rate: Sequence[float], slope_h: Sequence[float],
                   slope_d: Sequence[float]) -> Dict[str, object]:
    """Pearson correlation of the true rate with the box-height slope and with minus the
    log-distance slope (``corr_h``, ``corr_d``; NaN with fewer than 2 objects or no
    spread), and per :data:`RATE_BINS` bin the object count and the mean and standard
    deviation of both (``bins``)."""
    rate, slope_h, slope_d = (np.asarray(v, dtype=np.float64) for v in (rate, slope_h, slope_d))

    def corr(a: np.ndarray, b: np.ndarray) -> float:
        if len(a) < 2 or a.std() == 0 or b.std() == 0:
            return float('nan')
        return float(np.corrcoef(a, b)[0, 1])

    bins = []
    for lo, hi in RATE_BINS:
        k = (rate >= lo) & (rate < hi)
        stats = dict(lo=lo, hi=hi, n=int(k.sum()))
        for name, v in (('h', slope_h[k]), ('d', -slope_d[k])):
            stats[f'mean_{name}'] = float(v.mean()) if k.any() else float('nan')
            stats[f'sd_{name}'] = float(v.std()) if k.any() else float('nan')
        bins.append(stats)
    return dict(n=len(rate), corr_h=corr(rate, slope_h), corr_d=corr(rate, -slope_d),
                bins=bins)


@torch.no_grad()
def collect_motion_rows(model: torch.nn.Module, loader, min_iou: float = 0.5
                        ) -> Dict[str, List[float]]:
    """Per object found (see the module docstring): ``rate`` v / d (1 / s) and the
    refiner's ``slope_h`` and ``slope_d`` (its scaled per-frame inputs) at the prediction
    that overlaps it most."""
    rows: Dict[str, List[float]] = dict(rate=[], slope_h=[], slope_d=[])
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        preds = model.unrefined_predictions(data['inputs'], data['data_samples'],
                                            data['padding_mask'])
        feats = model.motion.motion_features(preds, data['padding_mask'])
        valid = (~data['padding_mask']).flatten().tolist()
        for i, sample in enumerate(data['data_samples']):
            gt = sample.gt_instances
            if not valid[i] or len(gt) == 0 or 'approach_m_s' not in gt:
                continue
            iou = box_iou(gt.bboxes.float(), preds['box'][i].float())
            best, idx = iou.max(1)
            approach, dist = gt.approach_m_s.float(), gt.distance_m.float()
            for j in range(len(gt)):
                if best[j] < min_iou or not torch.isfinite(approach[j]):
                    continue
                rows['rate'].append(float(approach[j] / dist[j]))
                rows['slope_h'].append(float(feats[i, idx[j], 0]))
                rows['slope_d'].append(float(feats[i, idx[j], 2]))
    return rows


def clip_motion_signal(config: str, checkpoint: str, cfg_options: Optional[dict] = None,
                       min_iou: float = 0.5) -> Dict[str, object]:
    """:func:`signal_summary` of ``checkpoint`` (a model of ``config``, which must have a
    ``motion`` refiner) on the config's test clips."""
    cfg = load_prepared(config, cfg_options, splits=('test',))
    if cfg.model.get('motion') is None:
        raise ValueError(f'{config}: model.motion is not set; the motion signal is read '
                         'from a ClipMotionRefiner (T5: configs/t5_temporal.py)')
    model = MODELS.build(cfg.model)
    load_same_architecture(checkpoint, model, config)
    model.eval()
    loader_cfg = dict(cfg.test_dataloader, num_workers=0, persistent_workers=False)
    rows = collect_motion_rows(model, Runner.build_dataloader(loader_cfg, seed=0), min_iou)
    return signal_summary(rows['rate'], rows['slope_h'], rows['slope_d'])


def format_signal(summary: Dict[str, object]) -> str:
    """The summary as a Markdown table with the two correlations above it."""
    lines = [f"{summary['n']} objects found; correlation with the true v / d: "
             f"box-height slope {summary['corr_h']:.3f}, minus log-distance slope "
             f"{summary['corr_d']:.3f}", '',
             '| true v / d (1/s) | objects | box-height slope: mean | sd | '
             'minus log-distance slope: mean | sd |', '|---|---|---|---|---|---|']
    for b in summary['bins']:
        lines.append(f"| [{b['lo']:.2f}, {b['hi']:.2f}) | {b['n']} | {b['mean_h']:.3f} | "
                     f"{b['sd_h']:.3f} | {b['mean_d']:.3f} | {b['sd_d']:.3f} |")
    return '\n'.join(lines)

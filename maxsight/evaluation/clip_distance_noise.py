"""How much of a model's distance error a clip could remove: frame noise against object bias.

What ``tools/analysis_tools/clip_distance_noise.py ANN_FILE PRED_JSON`` prints
(:func:`distance_noise`, :func:`format_noise`).

A clip shows each object in several frames. A temporal model can average away the part of
a per-frame distance error that changes from frame to frame (box jitter, an occluder that
moves), but not the part every frame shares: with a still camera, nothing in the motion
tells an object's distance (its scale change gives only v / d, the rate of approach). So
the log error e = log(predicted / true distance) of each found object is split into its
track's mean (the object's bias) and the frame's deviation from it, and the distance MAE
is reported as it is and with every deviation removed (each prediction moved to true x
exp(mean e of its track)): the most a temporal model built on these predictions could
gain on ``distance/mae_m``. A smoother that fits a line through each track (the
constant-velocity motion of the embedded clips) cannot tell a trend in the error from
motion, so it can at most remove the scatter about the line of e over the frames: the
MAE without that scatter is reported too.

ANN_FILE: a COCO file of clips (images with ``clip_id``, annotations with ``track_id``).
PRED_JSON: ``tools/test.py --pred-out`` detections, which carry ``distance_m``. Objects are
matched as ``AssistiveMetric`` matches, so ``mae_m`` is its ``distance/mae_m`` over the
objects in tracks.
"""
import math
from collections import defaultdict
from typing import Dict, List, Tuple

from ..utils.errors import ToolError
from .hazard_breakdown import matched_objects, predicted_distance_m


def _line(values: List[float], times: List[float]) -> List[float]:
    """The least-squares line through (time, value), at each time."""
    t_mean, v_mean = sum(times) / len(times), sum(values) / len(values)
    var = sum((t - t_mean) ** 2 for t in times)
    slope = sum((t - t_mean) * (v - v_mean) for t, v in zip(times, values)) / var if var else 0.0
    return [v_mean + slope * (t - t_mean) for t in times]


def distance_noise(ann_file: str, pred_file: str, score_thr: float = 0.3,
                   iou_thr: float = 0.5) -> Dict[str, float]:
    """Distance error of the found clip objects, as it is and without frame noise.

    Returns ``objects`` (found objects with a track), ``tracks``, ``mae_m`` (mean |predicted
    - true| distance, m), ``mae_m_without_frame_noise`` (the same with each log error
    replaced by its track's mean), ``mae_m_without_line_scatter`` (each log error replaced
    by its value on the least-squares line of the track's errors over ``frame_index``;
    tracks found in fewer than 3 frames unchanged), ``sd_frame`` and ``sd_object``
    (standard deviations of the log error within tracks and of the tracks' means, over
    objects).
    """
    tracks: Dict[Tuple[object, object], List[Tuple[float, float, float]]] = defaultdict(list)
    for img, ann, inst, det in matched_objects(ann_file, pred_file, score_thr, iou_thr):
        if det is None or img.get('clip_id') is None or ann.get('track_id') is None:
            continue
        pred = predicted_distance_m(det, ann, pred_file)
        tracks[(img['clip_id'], ann['track_id'])].append(
            (float(img.get('frame_index', 0)), float(inst['distance_m']), pred))
    if not tracks:
        raise ToolError(f'{ann_file}: no found object is in a clip track (images need '
                        'clip_id and annotations track_id, e.g. annotations/test_clips.json)')
    abs_err, abs_err_smooth, abs_err_line, dev, bias = [], [], [], [], []
    for frames in tracks.values():
        errs = [math.log(pred / true) for _, true, pred in frames]
        mean = sum(errs) / len(errs)
        line = _line(errs, [t for t, _, _ in frames]) if len(frames) >= 3 else errs
        for (_, true, pred), e, on_line in zip(frames, errs, line):
            abs_err.append(abs(pred - true))
            abs_err_smooth.append(abs(true * math.exp(mean) - true))
            abs_err_line.append(abs(true * math.exp(on_line) - true))
            dev.append(e - mean)
            bias.append(mean)
    mean_bias = sum(bias) / len(bias)
    n = len(abs_err)
    return dict(objects=n, tracks=len(tracks), mae_m=sum(abs_err) / n,
                mae_m_without_frame_noise=sum(abs_err_smooth) / n,
                mae_m_without_line_scatter=sum(abs_err_line) / n,
                sd_frame=math.sqrt(sum(d * d for d in dev) / n),
                sd_object=math.sqrt(sum((b - mean_bias) ** 2 for b in bias) / n))


def format_noise(row: Dict[str, float]) -> str:
    """One Markdown table row per figure of :func:`distance_noise`."""
    return '\n'.join([
        f"{row['objects']} found objects in {row['tracks']} tracks", '',
        '| figure | value |', '|---|---|',
        f"| distance MAE m | {row['mae_m']:.4f} |",
        f"| distance MAE m without frame noise | {row['mae_m_without_frame_noise']:.4f} |",
        f"| distance MAE m without the scatter about each track's line | "
        f"{row['mae_m_without_line_scatter']:.4f} |",
        f"| sd of log error within tracks (frame noise) | {row['sd_frame']:.4f} |",
        f"| sd of the tracks' mean log error (object bias) | {row['sd_object']:.4f} |"])

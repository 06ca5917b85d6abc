"""Hazard recall broken down by an annotation field: which hazards does a model miss?

What ``tools/analysis_tools/hazard_recall_breakdown.py ANN_FILE PRED_JSON`` prints
(:func:`hazard_breakdown`, :func:`format_table`).

ANN_FILE: a COCO annotation file (parsed and validated as the datasets do, so urgency left
out of an annotation is derived the same way). PRED_JSON: the detections ``tools/test.py
--pred-out`` writes (image_id, category_id, bbox xywh, score, urgency).

Hazards are the non-crowd objects with urgency >= 2. Matching is the one
``AssistiveMetric`` uses (detections with score >= ``score_thr``, greedy by score,
same class, IoU >= ``iou_thr``), so the ``all`` row equals its ``urgency/hazard_recall``.
Per bin of the numeric annotation field ``by`` (e.g. ``occlusion``, written by the
embedded dataset; ``area``): hazards, detected, detected and reported as a hazard
(predicted urgency >= 2), and the recall. Hazards without the field are binned as ``n/a``.
"""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torchvision.ops import box_convert

from ..datasets.coco_parsing import (AnnotationError, ParsedCoco, load_json, parse_coco_data,
                                     read_json)
from ..utils.errors import ToolError
from ..value_checks import is_number
from .metrics.assistive_metric import match_detections

PRED_FIELDS = ('image_id', 'category_id', 'bbox', 'score', 'urgency')


def load_predictions(pred_file: str, cat_ids: Sequence[int], img_ids: Sequence[int]
                     ) -> Dict[int, List[dict]]:
    """Detections grouped by image id; raises ToolError naming the record and field of the
    first malformed one."""
    if not osp.isfile(pred_file):
        raise ToolError(f'prediction file not found: {pred_file}')
    try:
        preds = read_json(pred_file)
    except AnnotationError as e:
        raise ToolError(f'{e}') from None
    if not isinstance(preds, list):
        raise ToolError(f'{pred_file}: expected a list of detections '
                         f'(tools/test.py --pred-out), got {type(preds).__name__}')
    known_cats, known_imgs = set(cat_ids), set(img_ids)
    by_image: Dict[int, List[dict]] = defaultdict(list)
    for i, p in enumerate(preds):
        where = f'{pred_file}: detection [{i}]'
        if not isinstance(p, dict):
            raise ToolError(f'{where}: not an object')
        missing = [k for k in PRED_FIELDS if k not in p]
        if missing:
            raise ToolError(f'{where}: field {missing[0]!r} missing (write predictions with '
                             'tools/test.py --pred-out)')
        if p['image_id'] not in known_imgs:
            raise ToolError(f'{where}: field image_id: no image {p["image_id"]!r} in the '
                             'annotation file')
        if p['category_id'] not in known_cats:
            raise ToolError(f'{where}: field category_id: unknown category '
                             f'{p["category_id"]!r} (declared: {sorted(known_cats)})')
        box = p['bbox']
        if not (isinstance(box, list) and len(box) == 4 and
                all(isinstance(v, (int, float)) for v in box)):
            raise ToolError(f'{where}: field bbox: expected [x, y, w, h], got {box!r}')
        if not isinstance(p['score'], (int, float)) or p['urgency'] not in (0, 1, 2, 3):
            bad = 'score' if not isinstance(p['score'], (int, float)) else 'urgency'
            raise ToolError(f'{where}: field {bad}: invalid value {p[bad]!r}')
        by_image[p['image_id']].append(p)
    return by_image


def bin_name(value: Optional[float], edges: Sequence[float]) -> str:
    """Name of the bin of ``edges`` that holds ``value`` (``'[lo, hi)'``), ``'n/a'`` for
    None, ``'outside bins'`` past the edges."""
    if value is None:
        return 'n/a'
    for lo, hi in zip(edges[:-1], edges[1:]):
        if lo <= value < hi:
            return f'[{lo:g}, {hi:g})'
    return 'outside bins'


def matched_objects(ann_file: str, pred_file: str, score_thr: float = 0.3,
                    iou_thr: float = 0.5) -> List[Tuple[dict, dict, dict, Optional[dict]]]:
    """(raw image record, raw annotation, parsed instance, matched detection or None) of
    every object of ``ann_file`` that is not ignored, matched as ``AssistiveMetric``
    matches (detections with score >= ``score_thr``, greedy by score, same class, IoU >=
    ``iou_thr``). The parsed instance carries the derived fields (urgency, distance_m)."""
    return parse_and_match(ann_file, pred_file, score_thr, iou_thr)[1]


def parse_and_match(ann_file: str, pred_file: str, score_thr: float = 0.3,
                    iou_thr: float = 0.5
                    ) -> Tuple[ParsedCoco, List[Tuple[dict, dict, dict, Optional[dict]]]]:
    """The parsed ``ann_file`` (its classes' ``hazard_priors`` by ``bbox_label``) and
    :func:`matched_objects`, from one read of each file."""
    try:
        data = load_json(ann_file)
        parsed = parse_coco_data(data, ann_file)
    except (AnnotationError, FileNotFoundError) as e:
        raise ToolError(f'{e}') from None
    raw = {a['id']: a for a in data['annotations']}
    images = {img['id']: img for img in data['images']}
    label_of = {cat_id: label for label, cat_id in enumerate(parsed.cat_ids)}
    preds = load_predictions(pred_file, parsed.cat_ids,
                             [info['img_id'] for info in parsed.data_list])
    objects = []
    for info in parsed.data_list:
        gts = [inst for inst in info['instances'] if not inst['ignore_flag']]
        dets = [p for p in preds.get(info['img_id'], []) if p['score'] >= score_thr]
        gt_boxes = torch.tensor([g['bbox'] for g in gts], dtype=torch.float32).reshape(-1, 4)
        det_boxes = box_convert(torch.tensor([p['bbox'] for p in dets], dtype=torch.float32)
                                .reshape(-1, 4), 'xywh', 'xyxy')
        pairs = match_detections(
            det_boxes, torch.tensor([label_of[p['category_id']] for p in dets]),
            torch.tensor([float(p['score']) for p in dets]), gt_boxes,
            torch.tensor([g['bbox_label'] for g in gts]), iou_thr)
        found = {g: dets[p] for p, g in pairs}
        objects += [(images[info['img_id']], raw[inst['ann_id']], inst, found.get(g))
                    for g, inst in enumerate(gts)]
    return parsed, objects


def predicted_distance_m(det: dict, ann: dict, pred_file: str) -> float:
    """The ``distance_m`` (m) of detection ``det`` matched to annotation ``ann``; a missing,
    non-numeric or non-positive one raises a :class:`ToolError` naming ``pred_file``, the
    annotation and the image."""
    pred = det.get('distance_m')
    if not (is_number(pred) and pred > 0):
        raise ToolError(f'{pred_file}: the detection of annotation id={ann["id"]}: field '
                        f'distance_m: expected a positive number (m), got {pred!r}, in image '
                        f'{det["image_id"]} (write predictions of a MaxSight head with '
                        'tools/test.py --pred-out)')
    return float(pred)


def hazard_outcomes(ann_file: str, pred_file: str, score_thr: float = 0.3,
                    iou_thr: float = 0.5) -> List[Tuple[dict, bool, bool]]:
    """(raw annotation, detected, reported) of every hazard of ``ann_file``: matched as
    ``AssistiveMetric`` matches, and reported = detected with predicted urgency >= 2."""
    return outcomes_of(matched_objects(ann_file, pred_file, score_thr, iou_thr))


def outcomes_of(objects: Sequence[Tuple[dict, dict, dict, Optional[dict]]]
                ) -> List[Tuple[dict, bool, bool]]:
    """:func:`hazard_outcomes` of the objects :func:`matched_objects` gives."""
    return [(ann, det is not None, det is not None and det['urgency'] >= 2)
            for _, ann, inst, det in objects if inst['urgency'] >= 2]


def bin_hazards(outcomes: Sequence[Tuple[dict, bool, bool]], ann_file: str, by: str,
                bins: Sequence[float]) -> Dict[str, Dict]:
    """{bin name: dict(hazards, detected, reported, recall)} plus an ``all`` row, of
    :func:`hazard_outcomes` binned by the annotation field ``by`` (``ann_file`` names the
    file in the error of a field that is not a number)."""
    rows: Dict[str, Dict] = defaultdict(lambda: dict(hazards=0, detected=0, reported=0))
    for ann, detected, reported in outcomes:
        value = ann.get(by)
        if value is not None and not isinstance(value, (int, float)):
            raise ToolError(f'{ann_file}: annotations[id={ann["id"]}] field '
                             f'{by}: expected a number to bin, got {value!r}')
        for name in (bin_name(value, bins), 'all'):
            rows[name]['hazards'] += 1
            rows[name]['detected'] += int(detected)
            rows[name]['reported'] += int(reported)
    for row in rows.values():
        row['recall'] = row['reported'] / row['hazards']
    rows.setdefault('all', dict(hazards=0, detected=0, reported=0, recall=0.0))
    return dict(rows)


def hazard_breakdown(ann_file: str, pred_file: str, by: str = 'occlusion',
                     bins: Sequence[float] = (0.0, 0.01, 0.3, 0.5, 0.65, 1.01),
                     score_thr: float = 0.3, iou_thr: float = 0.5) -> Dict[str, Dict]:
    """{bin name: dict(hazards, detected, reported, recall)} plus an ``all`` row.

    ``recall`` = reported / hazards: detected (matched as ``AssistiveMetric`` matches) and
    predicted urgency >= 2.
    """
    if list(bins) != sorted(bins) or len(bins) < 2:
        raise ToolError(f'--bins must be at least two increasing edges, got {bins}')
    return bin_hazards(hazard_outcomes(ann_file, pred_file, score_thr, iou_thr), ann_file,
                       by, bins)


def format_table(rows: Dict[str, Dict], by: str, bins: Sequence[float]) -> str:
    """Markdown table, bins in edge order, then ``outside bins``, ``n/a`` and ``all``."""
    lines = [f'| {by} | hazards | detected | reported >= warning | hazard recall |',
             '|---|---|---|---|---|']
    order = [bin_name(lo, bins) for lo in bins[:-1]] + ['outside bins', 'n/a', 'all']
    for name in (n for n in order if n in rows):
        r = rows[name]
        lines.append(f'| {name} | {r["hazards"]} | {r["detected"]} | {r["reported"]} | '
                     f'{r["recall"]:.3f} |')
    return '\n'.join(lines)

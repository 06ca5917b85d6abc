"""Parse and validate a COCO-format annotation file with MaxSight's optional fields.

``parse_coco_file`` turns the file into MaxSight data infos (DESIGN section 3). Every
problem is reported as one line naming the file, the record and the field; with
``skip_invalid=True`` bad annotations/images are dropped and counted instead of raising.
"""
import json
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

import numpy as np

from .labels import (BESIDE_SIDES, LIGHTING_BUCKETS, distance_from_box, fit_reference_heights,
                     scene_urgency, urgency_from_fields, zone_from_distance)
from ..value_checks import is_int, is_number


class AnnotationError(ValueError):
    """A malformed annotation file: the message names file, record and field."""


@dataclass
class ParsedCoco:
    """What a COCO file yields: class list, one data info per image, problems skipped."""
    classes: Tuple[str, ...]
    cat_ids: Tuple[int, ...]
    hazard_priors: Tuple[Optional[float], ...]
    data_list: List[Dict[str, Any]]
    skipped: List[str] = field(default_factory=list)
    #: per class (height m, source) used to derive missing distances (fit_reference_heights)
    reference_heights: Tuple[Tuple[float, str], ...] = ()


class _Checker:
    """Collects problems (or raises on the first one) with a consistent message format."""

    def __init__(self, ann_file: str, skip_invalid: bool):
        self.ann_file = ann_file
        self.skip_invalid = skip_invalid
        self.skipped: List[str] = []

    def fail(self, record: str, fld: str, problem: str, fatal: bool = False) -> None:
        msg = f'{self.ann_file}: {record}: field "{fld}": {problem}'
        if fatal or not self.skip_invalid:
            raise AnnotationError(msg)
        self.skipped.append(msg)


def read_json(path: str) -> Any:
    """The JSON value in the existing file ``path``; invalid JSON raises an
    :class:`AnnotationError` naming the file."""
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise AnnotationError(f'{path}: not valid JSON: {e}') from None


def load_json(ann_file: str) -> Dict[str, Any]:
    """Read a COCO JSON file; missing or unreadable files raise a clear error."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'annotation file not found: {ann_file} (set data_root/ann_file in the config, '
            'e.g. --cfg-options train_dataloader.dataset.data_root=DIR)')
    data = read_json(ann_file)
    if not isinstance(data, dict):
        raise AnnotationError(f'{ann_file}: top level must be an object with images, '
                              'annotations, categories')
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data.get(key), list):
            raise AnnotationError(f'{ann_file}: field "{key}": missing or not a list')
    return data


def parse_categories(data: Dict[str, Any], ann_file: str
                     ) -> Tuple[Tuple[str, ...], Tuple[int, ...], Tuple[Optional[float], ...],
                                Tuple[Optional[float], ...]]:
    """Class names, category ids, hazard priors and real heights (``height_m``, metres)
    in file order."""
    chk = _Checker(ann_file, skip_invalid=False)
    names, ids, priors, heights = [], [], [], []
    if not data['categories']:
        chk.fail('categories', 'categories', 'no categories declared', fatal=True)
    for i, cat in enumerate(data['categories']):
        rec = f'categories[{i}]'
        if not isinstance(cat, dict):
            chk.fail(rec, '*', 'not an object', fatal=True)
        if not is_int(cat.get('id')):
            chk.fail(rec, 'id', f'expected an integer, got {cat.get("id")!r}', fatal=True)
        rec = f'categories[id={cat["id"]}]'
        if cat['id'] in ids:
            chk.fail(rec, 'id', 'duplicate category id', fatal=True)
        if not isinstance(cat.get('name'), str) or not cat['name']:
            chk.fail(rec, 'name', f'expected a non-empty string, got {cat.get("name")!r}',
                     fatal=True)
        prior = cat.get('hazard_prior')
        if prior is not None and not (is_number(prior) and 0 <= prior <= 1):
            chk.fail(rec, 'hazard_prior', f'expected a number in [0, 1], got {prior!r}',
                     fatal=True)
        height = cat.get('height_m')
        if height is not None and not (is_number(height) and height > 0):
            chk.fail(rec, 'height_m', f'expected a positive number of metres, got {height!r}',
                     fatal=True)
        names.append(cat['name'])
        ids.append(cat['id'])
        priors.append(None if prior is None else float(prior))
        heights.append(None if height is None else float(height))
    return tuple(names), tuple(ids), tuple(priors), tuple(heights)


def _parse_image(img: Any, i: int, chk: _Checker, img_prefix: str) -> Optional[Dict]:
    if not isinstance(img, dict):
        chk.fail(f'images[{i}]', '*', 'not an object')
        return None
    rec = f'images[id={img.get("id")!r}]'
    if not is_int(img.get('id')):
        chk.fail(f'images[{i}]', 'id', f'expected an integer, got {img.get("id")!r}')
        return None
    for key in ('width', 'height'):
        if not (is_int(img.get(key)) and img[key] > 0):
            chk.fail(rec, key, f'expected a positive integer, got {img.get(key)!r}')
            return None
    if not isinstance(img.get('file_name'), str) or not img['file_name']:
        chk.fail(rec, 'file_name', f'expected a non-empty string, got {img.get("file_name")!r}')
        return None
    lighting = img.get('lighting')
    if lighting is not None and lighting not in LIGHTING_BUCKETS:
        chk.fail(rec, 'lighting', f'expected one of {"|".join(LIGHTING_BUCKETS)}, '
                 f'got {lighting!r}')
        return None
    audio = img.get('audio')
    if audio is not None and not (isinstance(audio, str) and audio):
        chk.fail(rec, 'audio', f'expected a path string, got {audio!r}')
        return None
    for key in ('clip_id', 'frame_index'):
        if img.get(key) is not None and not (is_int(img[key]) and img[key] >= 0):
            chk.fail(rec, key, f'expected a non-negative integer, got {img[key]!r}')
            return None
    beside = img.get('beside_hazards')
    if beside is not None and not (isinstance(beside, list)
                                   and all(side in BESIDE_SIDES for side in beside)
                                   and len(set(beside)) == len(beside)):
        chk.fail(rec, 'beside_hazards', f'expected a list of distinct sides from '
                 f'{list(BESIDE_SIDES)}, got {beside!r}')
        return None
    if (img.get('clip_id') is None) != (img.get('frame_index') is None):
        chk.fail(rec, 'clip_id' if img.get('clip_id') is None else 'frame_index',
                 'clip_id and frame_index must be given together')
        return None
    return dict(img_id=img['id'], img_path=osp.join(img_prefix, img['file_name']),
                file_name=img['file_name'], width=img['width'], height=img['height'],
                lighting=lighting, lighting_derived=lighting is None,
                scene=img.get('scene'), clip_id=img.get('clip_id'),
                frame_index=img.get('frame_index'),
                audio_path=None if audio is None else osp.join(img_prefix, audio),
                beside_hazard=None if beside is None else np.array(
                    [side in beside for side in BESIDE_SIDES], np.float32),
                instances=[])


def _parse_annotation(ann: Any, i: int, chk: _Checker, images: Dict[int, Dict],
                      cat_index: Dict[int, int], rejected_images: Set[int]
                      ) -> Optional[Tuple[int, Dict, Tuple[float, float, float, float]]]:
    if not isinstance(ann, dict):
        chk.fail(f'annotations[{i}]', '*', 'not an object')
        return None
    rec = f'annotations[id={ann.get("id")!r}]'
    if not is_int(ann.get('id')):
        chk.fail(f'annotations[{i}]', 'id', f'expected an integer, got {ann.get("id")!r}')
        return None
    image_id = ann.get('image_id')
    if not is_int(image_id) or image_id not in images:
        # an image record that failed its own check is named once, not as missing
        chk.fail(rec, 'image_id', f'image {image_id} was rejected (its own problem is listed)'
                 if is_int(image_id) and image_id in rejected_images
                 else f'no image with id {image_id!r}')
        return None
    if ann.get('category_id') not in cat_index or not is_int(ann.get('category_id')):
        chk.fail(rec, 'category_id', f'unknown category id {ann.get("category_id")!r} '
                 f'(declared: {sorted(cat_index)})')
        return None
    bbox = ann.get('bbox')
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(is_number(v) for v in bbox)):
        chk.fail(rec, 'bbox', f'expected [x, y, w, h] of 4 finite numbers, got {bbox!r}')
        return None
    x, y, w, h = (float(v) for v in bbox)
    img = images[image_id]
    if w <= 0 or h <= 0:
        chk.fail(rec, 'bbox', f'width and height must be > 0, got w={w}, h={h}')
        return None
    tol = 1.0  # pixels of slack for rounding in exported files
    if x < -tol or y < -tol or x + w > img['width'] + tol or y + h > img['height'] + tol:
        chk.fail(rec, 'bbox', f'box {bbox} lies outside image {image_id} '
                 f'({img["width"]}x{img["height"]})')
        return None
    iscrowd = ann.get('iscrowd', 0)
    if iscrowd not in (0, 1) or isinstance(iscrowd, bool):
        chk.fail(rec, 'iscrowd', f'expected 0 or 1, got {iscrowd!r}')
        return None
    dist = ann.get('distance_m')
    if dist is not None and not (is_number(dist) and dist > 0):
        chk.fail(rec, 'distance_m', f'expected a positive number, got {dist!r}')
        return None
    zone = ann.get('distance_zone')
    if zone is not None and zone not in (0, 1, 2):
        chk.fail(rec, 'distance_zone', f'expected 0, 1 or 2, got {zone!r}')
        return None
    urg = ann.get('urgency')
    if urg is not None and urg not in (0, 1, 2, 3):
        chk.fail(rec, 'urgency', f'expected 0..3, got {urg!r}')
        return None
    approach = ann.get('approach_m_s')
    if approach is not None and not is_number(approach):
        chk.fail(rec, 'approach_m_s', f'expected a number (m/s), got {approach!r}')
        return None
    context = ann.get('urgency_context', False)
    if context not in (True, False, 0, 1):
        chk.fail(rec, 'urgency_context', f'expected true or false, got {context!r}')
        return None
    x0, y0 = max(x, 0.0), max(y, 0.0)
    x1, y1 = min(x + w, float(img['width'])), min(y + h, float(img['height']))
    return image_id, dict(
        ann_id=ann['id'], bbox=[x0, y0, x1, y1], bbox_label=cat_index[ann['category_id']],
        ignore_flag=int(iscrowd), distance_m=None if dist is None else float(dist),
        distance_zone=zone, urgency=urg, distance_derived=dist is None,
        zone_derived=zone is None, urgency_derived=urg is None,
        approach_m_s=None if approach is None else float(approach),
        urgency_context=bool(context)), (x, y, w, h)


def _derive_fields(inst: Dict, xywh: Tuple[float, float, float, float], img: Dict,
                   prior: Optional[float], ref_height_m: float) -> None:
    """Fill the instance's missing distance, zone and urgency (DESIGN section 3)."""
    x, _, w, _ = xywh
    if inst['distance_m'] is None:
        inst['distance_m'] = distance_from_box(xywh, img['height'], ref_height_m)
    if inst['distance_zone'] is None:
        inst['distance_zone'] = zone_from_distance(inst['distance_m'])
    if inst['urgency'] is None:
        inst['urgency'] = urgency_from_fields(prior, inst['distance_m'],
                                              (x + w / 2) / img['width'])
    inst['distance_zone'], inst['urgency'] = int(inst['distance_zone']), int(inst['urgency'])


def parse_coco_file(ann_file: str, img_prefix: str = '', skip_invalid: bool = False
                    ) -> ParsedCoco:
    """Parse ``ann_file``: boxes become xyxy pixels clipped to the image, labels become
    contiguous indices into the file's category list, missing optional fields are derived
    (and flagged ``*_derived``)."""
    return parse_coco_data(load_json(ann_file), ann_file, img_prefix, skip_invalid)


def parse_coco_data(data: Dict[str, Any], ann_file: str, img_prefix: str = '',
                    skip_invalid: bool = False) -> ParsedCoco:
    """:func:`parse_coco_file` of ``data`` already read by :func:`load_json` from
    ``ann_file`` (the name errors report), for callers that also read its raw records."""
    classes, cat_ids, priors, heights = parse_categories(data, ann_file)
    cat_index = {cid: i for i, cid in enumerate(cat_ids)}
    chk = _Checker(ann_file, skip_invalid)
    images: Dict[int, Dict] = {}
    for i, img in enumerate(data['images']):
        info = _parse_image(img, i, chk, img_prefix)
        if info is None:
            continue
        if info['img_id'] in images:
            chk.fail(f'images[id={info["img_id"]}]', 'id', 'duplicate image id')
            continue
        images[info['img_id']] = info
    rejected_images = {img['id'] for img in data['images'] if isinstance(img, dict)
                       and is_int(img.get('id')) and img['id'] not in images}
    seen_ann_ids = set()
    kept = []
    for i, ann in enumerate(data['annotations']):
        parsed = _parse_annotation(ann, i, chk, images, cat_index, rejected_images)
        if parsed is None:
            continue
        image_id, inst, xywh = parsed
        if inst['ann_id'] in seen_ann_ids:
            chk.fail(f'annotations[id={inst["ann_id"]}]', 'id', 'duplicate annotation id')
            continue
        seen_ann_ids.add(inst['ann_id'])
        images[image_id]['instances'].append(inst)
        kept.append((inst, xywh, images[image_id]))
    # the height that makes the pinhole guess exact, per annotated object: missing distances
    # are derived on the file's own scale (docs/data.md#derived-distances)
    fit = [(inst['bbox_label'], inst['distance_m'] * xywh[3] / img['height'])
           for inst, xywh, img in kept if inst['distance_m'] is not None
           and not inst['ignore_flag']]
    ref_heights = fit_reference_heights([f[0] for f in fit], [f[1] for f in fit], heights)
    for inst, xywh, img in kept:
        _derive_fields(inst, xywh, img, priors[inst['bbox_label']],
                       ref_heights[inst['bbox_label']][0])
    for info in images.values():
        urg = [inst['urgency'] for inst in info['instances'] if not inst['ignore_flag']]
        info['scene_urgency'] = scene_urgency(urg)
    return ParsedCoco(classes, cat_ids, priors, list(images.values()), chk.skipped,
                      tuple(ref_heights))


def summarize(parsed: ParsedCoco) -> Dict[str, Any]:
    """Counts per class, lighting, zone, urgency and derived fields (for logs and tools)."""
    per_class: Counter = Counter()
    zones: Counter = Counter()
    urgencies: Counter = Counter()
    derived: Counter = Counter()
    for info in parsed.data_list:
        for inst in info['instances']:
            per_class[parsed.classes[inst['bbox_label']]] += 1
            zones[inst['distance_zone']] += 1
            urgencies[inst['urgency']] += 1
            for key in ('distance_derived', 'zone_derived', 'urgency_derived'):
                derived[key] += int(inst[key])
    return dict(images=len(parsed.data_list), objects=sum(per_class.values()),
                per_class=dict(per_class), lighting=dict(Counter(
                    info['lighting'] or 'derived-at-load' for info in parsed.data_list)),
                zones=dict(zones), urgency=dict(urgencies), derived=dict(derived),
                reference_heights_m={name: f'{h:.2f} ({src})' for name, (h, src)
                                     in zip(parsed.classes, parsed.reference_heights)},
                skipped=len(parsed.skipped))

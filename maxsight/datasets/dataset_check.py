"""Every problem of a COCO-format annotation file and its images, and its statistics
(``tools/misc/check_dataset.py``).

Problems are listed one line each, naming file, record and field, not only the first.
Statistics: images, objects per class, lighting buckets (from pixels where the field is
absent), distance zones, urgency levels and how many fields were derived.
"""
import os.path as osp
from collections import Counter

import numpy as np

from .coco_parsing import AnnotationError, ParsedCoco, parse_coco_file, summarize
from .labels import (REFERENCE_OBJECT_HEIGHT_M, distance_from_box, lighting_from_pixels,
                     zone_from_distance)
from .transforms.loading import read_rgb


def derived_zone_agreement(parsed: ParsedCoco) -> dict:
    """How often the zone derived from the box would equal the annotated zone, over the
    objects with an annotated zone or distance (not ignored): with each class's reference height
    (``parsed.reference_heights``) and with the fixed ``REFERENCE_OBJECT_HEIGHT_M``."""
    hits = np.zeros(2)
    n = 0
    for info in parsed.data_list:
        for inst in info['instances']:
            if (inst['zone_derived'] and inst['distance_derived']) or inst['ignore_flag']:
                continue
            x0, y0, x1, y1 = inst['bbox']
            box = (x0, y0, x1 - x0, y1 - y0)
            for k, h in enumerate((parsed.reference_heights[inst['bbox_label']][0],
                                   REFERENCE_OBJECT_HEIGHT_M)):
                hits[k] += zone_from_distance(distance_from_box(box, info['height'], h)) \
                    == inst['distance_zone']
            n += 1
    if n == 0:
        return dict(annotated=0)
    return dict(annotated=n, class_heights=round(float(hits[0] / n), 4),
                fixed_height=round(float(hits[1] / n), 4))


def check_dataset(ann_file: str, img_dir: str, check_images: bool = True) -> dict:
    """Returns ``dict(problems=[...], stats={...})``."""
    try:
        parsed = parse_coco_file(ann_file, img_dir, skip_invalid=True)
    except (AnnotationError, FileNotFoundError) as e:  # file-level: nothing else to check
        return dict(problems=[str(e)], stats={})
    problems = list(parsed.skipped)
    lighting = Counter()
    missing = 0
    for info in parsed.data_list:
        if not check_images:
            lighting[info['lighting'] or 'unknown'] += 1
            continue
        try:
            img = read_rgb(info['img_path'])
        except (OSError, FileNotFoundError) as e:
            problems.append(f'{ann_file}: images[id={info["img_id"]}]: field "file_name": {e}')
            missing += isinstance(e, FileNotFoundError)
            continue
        h, w = img.shape[:2]
        if (h, w) != (info['height'], info['width']):
            problems.append(f'{ann_file}: images[id={info["img_id"]}]: field "width"/"height": '
                            f'annotation says {info["width"]}x{info["height"]}, file is {w}x{h}')
        lighting[info['lighting'] or f'{lighting_from_pixels(img)} (derived)'] += 1
    if parsed.data_list and missing == len(parsed.data_list):
        problems.append(f'{ann_file}: no image file found under '
                        f'"{osp.abspath(img_dir or ".")}": file_name is read relative to '
                        f'--img-dir (for DATA_ROOT/annotations/*.json files, --img-dir DATA_ROOT)')
    stats = summarize(parsed)
    stats['lighting'] = dict(lighting)
    dists = [inst['distance_m'] for info in parsed.data_list for inst in info['instances']]
    if dists:
        stats['distance_m_percentiles'] = dict(zip(
            ('p5', 'p25', 'p50', 'p75', 'p95'),
            (round(float(v), 2) for v in np.percentile(dists, [5, 25, 50, 75, 95]))))
    stats['derived_zone_agreement'] = derived_zone_agreement(parsed)
    stats['ignored_regions'] = sum(inst['ignore_flag'] for info in parsed.data_list
                                   for inst in info['instances'])
    return dict(problems=problems, stats=stats)

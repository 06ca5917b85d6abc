"""Every problem of a COCO-format annotation file and its images, and its statistics
(``tools/misc/check_dataset.py``).

Problems are listed one line each, naming file, record and field, not only the first.
Statistics: images, objects per class, lighting buckets (from pixels where the field is
absent), distance zones, urgency levels and how many fields were derived.
"""
from collections import Counter

import numpy as np

from .coco_parsing import AnnotationError, parse_coco_file, summarize
from .labels import lighting_from_pixels
from .transforms.loading import read_rgb


def check_dataset(ann_file: str, img_dir: str, check_images: bool = True) -> dict:
    """Returns ``dict(problems=[...], stats={...})``."""
    try:
        parsed = parse_coco_file(ann_file, img_dir, skip_invalid=True)
    except (AnnotationError, FileNotFoundError) as e:  # file-level: nothing else to check
        return dict(problems=[str(e)], stats={})
    problems = list(parsed.skipped)
    lighting = Counter()
    for info in parsed.data_list:
        if not check_images:
            lighting[info['lighting'] or 'unknown'] += 1
            continue
        try:
            img = read_rgb(info['img_path'])
        except (OSError, FileNotFoundError) as e:
            problems.append(f'{ann_file}: images[id={info["img_id"]}]: field "file_name": {e}')
            continue
        h, w = img.shape[:2]
        if (h, w) != (info['height'], info['width']):
            problems.append(f'{ann_file}: images[id={info["img_id"]}]: field "width"/"height": '
                            f'annotation says {info["width"]}x{info["height"]}, file is {w}x{h}')
        lighting[info['lighting'] or f'{lighting_from_pixels(img)} (derived)'] += 1
    stats = summarize(parsed)
    stats['lighting'] = dict(lighting)
    dists = [inst['distance_m'] for info in parsed.data_list for inst in info['instances']]
    if dists:
        stats['distance_m_percentiles'] = dict(zip(
            ('p5', 'p25', 'p50', 'p75', 'p95'),
            (round(float(v), 2) for v in np.percentile(dists, [5, 25, 50, 75, 95]))))
    stats['ignored_regions'] = sum(inst['ignore_flag'] for info in parsed.data_list
                                   for inst in info['instances'])
    return dict(problems=problems, stats=stats)

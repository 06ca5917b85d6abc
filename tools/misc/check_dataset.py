"""Check a COCO-format annotation file (and its images) and print statistics.

python tools/misc/check_dataset.py ANN_FILE --img-dir DIR [--no-images] [--json OUT]

Every problem is listed (one line each, naming file, record and field), not only the
first; the exit status is 1 when there is any. Statistics: images, objects per class,
lighting buckets (from pixels where the field is absent), distance zones, urgency levels
and how many fields were derived.
"""
import argparse
import json
import os.path as osp
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.datasets.coco_parsing import AnnotationError, parse_coco_file, summarize  # noqa
from maxsight.datasets.labels import lighting_from_pixels  # noqa: E402
from maxsight.datasets.transforms import read_rgb  # noqa: E402


def check(ann_file: str, img_dir: str, check_images: bool = True) -> dict:
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file')
    parser.add_argument('--img-dir', default='', help='folder file_name is relative to')
    parser.add_argument('--no-images', action='store_true', help='skip reading images')
    parser.add_argument('--json', help='also write the report as JSON here')
    args = parser.parse_args(argv)
    report = check(args.ann_file, args.img_dir, not args.no_images)
    print(json.dumps(report['stats'], indent=1, sort_keys=True))
    if report['problems']:
        print(f'{len(report["problems"])} problem(s):')
        for p in report['problems']:
            print(f'  {p}')
    else:
        print('no problems found')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
    return 1 if report['problems'] else 0


if __name__ == '__main__':
    sys.exit(main())

"""Check a COCO-format annotation file (and its images) and print statistics.

python tools/misc/check_dataset.py ANN_FILE --img-dir DIR [--no-images] [--json OUT]

Every problem is listed (one line each, naming file, record and field), not only the
first; the exit status is 1 when there is any (2, with one error line, when the file
cannot be read at all). Statistics: images, objects per class,
lighting buckets (from pixels where the field is absent), distance zones, urgency levels
and how many fields were derived.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO-format annotation file (.json)')
    parser.add_argument('--img-dir', default='', help='folder file_name is relative to')
    parser.add_argument('--no-images', action='store_true', help='skip reading images')
    parser.add_argument('--json', help='also write the report as JSON here')
    args = parser.parse_args(argv)
    from maxsight.datasets.dataset_check import check_dataset
    if not osp.isfile(args.ann_file):
        raise FileNotFoundError(f'annotation file not found: {args.ann_file}')
    report = check_dataset(args.ann_file, args.img_dir, not args.no_images)
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
    from maxsight.tool_runner import run_tool
    sys.exit(run_tool(main))

"""Generate the embedded synthetic dataset (COCO JSON + PNG images), or the variant set.

python tools/misc/make_synthetic_dataset.py --out data/maxsight_synth --num-train 1600 \
    --num-val 400 --seed 0

A held-out split for numbers not tuned on val (docs/benchmarks.md):

python tools/misc/make_synthetic_dataset.py --out data/maxsight_heldout --num-train 0 \
    --num-val 0 --num-test 1000

The signal set (a pedestrian signal sets the vehicles' urgency; docs/data.md):

python tools/misc/make_synthetic_dataset.py --signals --out data/maxsight_signals \
    --num-test 4000

The variant set (other sizes, classes, density and label sources; docs/data.md):

python tools/misc/make_synthetic_dataset.py --variant --out data/maxsight_variant \
    --num-train 1200 --num-val 300 --num-test 300
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))



def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/maxsight_synth', help='output folder')
    parser.add_argument('--num-train', type=int, default=1600, help='training images')
    parser.add_argument('--num-val', type=int, default=400, help='validation images')
    parser.add_argument('--num-test', type=int, default=0,
                        help='held-out image split "test" (its own random stream)')
    parser.add_argument('--num-train-clips', type=int, default=0, help='training clips (T5)')
    parser.add_argument('--num-val-clips', type=int, default=0, help='validation clips (T5)')
    parser.add_argument('--clip-length', type=int, default=4, help='frames per clip')
    parser.add_argument('--no-audio', action='store_true', help='skip audio features')
    parser.add_argument('--seed', type=int, default=0, help='random seed of the whole set')
    parser.add_argument('--width', type=int, default=320, help='image width in pixels')
    parser.add_argument('--height', type=int, default=240, help='image height in pixels')
    parser.add_argument('--variant', action='store_true',
                        help='the variant set instead: mixed sizes, 6 other classes, 5-16 '
                        'objects an image, part of the labels derived, JPEG, no clips or '
                        'audio (--width/--height and the clip options do not apply)')
    parser.add_argument('--signals', action='store_true',
                        help='the signal set: the embedded scenes with a pedestrian signal '
                        'whose state sets the vehicles\' urgency (images only: no clip '
                        'options)')
    parser.add_argument('--annotated-share', type=float, default=0.6,
                        help='variant: share of objects with annotated distance and urgency')
    args = parser.parse_args(argv)
    if min(args.num_train, args.num_val, args.num_test, args.num_train_clips,
           args.num_val_clips) < 0 or \
            min(args.width, args.height) < 64 or args.clip_length < 1:
        parser.error('counts must be >= 0 and width/height >= 64')
    if args.signals and (args.variant or args.num_train_clips or args.num_val_clips):
        parser.error('--signals makes images only: drop --variant and the clip counts')
    from maxsight.datasets.coco_parsing import parse_coco_file, summarize
    from maxsight.datasets.synthetic import generate_synthetic_dataset
    from maxsight.datasets.synthetic.variant import generate_variant_dataset
    if args.variant:
        if not 0.0 <= args.annotated_share <= 1.0:
            parser.error('--annotated-share must be in [0, 1]')
        files = generate_variant_dataset(args.out, args.num_train, args.num_val,
                                         args.num_test, args.seed, args.annotated_share)
    else:
        files = generate_synthetic_dataset(
            args.out, args.num_train, args.num_val, args.seed, args.width, args.height,
            args.num_train_clips, args.num_val_clips, args.clip_length,
            with_audio=not args.no_audio, num_test=args.num_test,
            traffic_signal=args.signals)
    for split, ann_file in files.items():
        stats = summarize(parse_coco_file(ann_file, args.out))
        print(f'{split}: {ann_file}')
        print(json.dumps(stats, indent=1, sort_keys=True))


if __name__ == '__main__':
    main()

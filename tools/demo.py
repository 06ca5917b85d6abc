"""Run a trained model over an image, a folder of images or a video (DESIGN 8):
python tools/demo.py CONFIG CKPT SOURCE [--out DIR] [--score-thr T] [--condition NAME]
[--speak].

Writes annotated pictures (or an annotated video with the source's frame count and rate),
frames.jsonl (per frame: detections, scene urgency, the readout a user would hear) and,
with --speak and espeak-ng installed, WAV files of the readout. The run itself is
maxsight/apis/demo.py.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

# light imports only: --help answers without loading torch
from maxsight.conditions import VISION_CONDITIONS  # noqa: E402
from maxsight.tool_runner import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detect objects in an image, a folder of images or a video, and write '
                    'annotated pictures or video, a JSON line per frame and the spoken '
                    'readout.')
    parser.add_argument('config', help='config file the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('source', help='an image, a folder of images or a video file')
    parser.add_argument('--out', default='demo_out', help='output folder (default demo_out)')
    parser.add_argument('--score-thr', type=float, metavar='T',
                        help='display threshold (default: the checkpoint\'s calibrated one, '
                        'else 0.3)')
    parser.add_argument('--condition', choices=VISION_CONDITIONS, metavar='NAME',
                        help='run as on the device of a user with this vision condition and '
                        'show its view beside each frame')
    parser.add_argument('--speak', action='store_true',
                        help='also write the readout as WAV files (needs espeak-ng: sudo '
                        'apt-get install espeak-ng)')
    parser.add_argument('--fov', type=float, default=70.0, metavar='DEG',
                        help='horizontal field of view of the camera in degrees, for the '
                        'directions (default 70)')
    parser.add_argument('--clock', action='store_true',
                        help='say directions as clock positions (12 o\'clock ahead)')
    parser.add_argument('--device', default='cpu', help='torch device (default cpu)')
    args = parser.parse_args(argv)
    if args.score_thr is not None and not 0.0 <= args.score_thr <= 1.0:
        parser.error('--score-thr must be in [0, 1]')
    if not 10.0 <= args.fov <= 180.0:
        parser.error('--fov must be between 10 and 180 degrees')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    from maxsight.apis import init_model
    from maxsight.apis.demo import check_source, run_demo
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    check_source(args.source)  # a bad source fails before the model loads
    from maxsight.checkpoint_io import check_checkpoint_file
    check_checkpoint_file(args.checkpoint)
    model = init_model(args.config, args.checkpoint, device=args.device)
    summary = run_demo(model, args.source, args.out, args.score_thr, args.condition,
                       args.speak, args.fov, args.clock)
    print(f'{summary["frames"]} frame(s): {", ".join(summary["written"][:3])}'
          f'{" ..." if len(summary["written"]) > 3 else ""}; {summary["frames_jsonl"]}'
          + (f'; {summary["wav_files"]} WAV file(s)' if args.speak else ''))
    return summary


if __name__ == '__main__':
    run_tool(main)

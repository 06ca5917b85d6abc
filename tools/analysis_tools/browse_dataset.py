"""Write what the model is fed as PNGs: boxes, class, distance and urgency drawn.

python tools/analysis_tools/browse_dataset.py CONFIG --out-dir DIR [--split train|val|test]
    [--num N] [--condition NAME] [--corruption NAME:SEVERITY] [--cfg-options k=v ...]

The images are the pipeline's output (after resize, flip, condition preprocessing and
corruption), un-normalised, exactly as the data preprocessor receives them.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.conditions import VISION_CONDITIONS  # noqa: E402
from maxsight.datasets.transforms import LIGHTING_CORRUPTIONS  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402
from maxsight.visualization.browse import browse_dataset  # noqa: E402


def parse_corruption(text: str):
    try:
        name, severity = text.split(':')
        severity = int(severity)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected NAME:SEVERITY, got {text!r}') from None
    if name not in LIGHTING_CORRUPTIONS or not 1 <= severity <= 5:
        raise argparse.ArgumentTypeError(
            f'corruption must be one of {", ".join(LIGHTING_CORRUPTIONS)} with severity 1-5, '
            f'got {text!r}')
    return name, severity


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(
        description='Write what the model is fed as PNGs, with boxes, class, distance and urgency '
                    'drawn.')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--out-dir', help='folder for the PNGs', required=True)
    parser.add_argument('--split',
                        help='which dataloader', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--num', type=int, default=12, help='how many samples to draw')
    parser.add_argument('--condition',
                        help='apply a vision condition', choices=VISION_CONDITIONS, metavar='NAME')
    parser.add_argument('--corruption',
                        help='apply a lighting corruption',
                        type=parse_corruption, metavar='NAME:SEVERITY')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    written = browse_dataset(cfg, args.out_dir, args.split, args.num, args.condition,
                             args.corruption)
    print(f'wrote {len(written)} images to {args.out_dir}')
    return written


if __name__ == '__main__':
    run_tool(main)

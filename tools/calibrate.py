"""Set a checkpoint's hazard operating point on the val split (DESIGN 8):
python tools/calibrate.py CONFIG CKPT [--target 0.95] [--out CKPT2].

Chooses the hazard decision threshold, hazard score exponent and display threshold that
reach the hazard-recall target with the fewest false hazard alerts per image, writes the
curve (<work_dir>/operating_point/curve.png and points.json) and stores the point in the
checkpoint's meta, which tools/test.py, maxsight.apis and export then use. The run itself is
maxsight/evaluation/calibration_run.py.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight.tool_runner import run_tool  # noqa: E402  (light: --help without torch)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Choose the hazard threshold, hazard score exponent and display '
                    'threshold that meet a hazard-recall target on the val split, and store '
                    'them in the checkpoint.')
    parser.add_argument('config', help='config file the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--target', type=float, default=0.95,
                        help='hazard recall to reach on val (default 0.95, the gate)')
    parser.add_argument('--out', help='write the calibrated checkpoint here instead of '
                        'updating CHECKPOINT in place')
    parser.add_argument('--work-dir', help='folder for the log and the curve '
                        '(default work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override config entries, e.g. '
                        'val_dataloader.dataset.data_root=DIR')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from maxsight import register_all_modules
    from maxsight.engine import build_runner
    from maxsight.evaluation.calibration import format_operating_point
    from maxsight.evaluation.calibration_run import calibrate, configure_calibration
    from maxsight.utils import load_config
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    configure_calibration(cfg, args.checkpoint, args.target)
    op = calibrate(build_runner(cfg), args.checkpoint, args.out)
    print(format_operating_point(op))
    print(f'stored in {op["stored_in"]}; curve in '
          f'{osp.join(cfg.work_dir, "operating_point")}')
    return op


if __name__ == '__main__':
    run_tool(main)

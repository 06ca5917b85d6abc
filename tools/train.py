"""Train a MaxSight detector: python tools/train.py CONFIG [options] (DESIGN section 8).

The options become config entries; ``MaxSightRunner`` (maxsight/engine/runner.py) does the
rest, exactly as ``RUNNERS.build(Config.fromfile(CONFIG))`` does in a notebook.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

# light imports only: --help answers without loading torch
from maxsight.conditions import VISION_CONDITIONS  # noqa: E402
from maxsight.tool_runner import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train a MaxSight detector from a config.')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--work-dir', help='output folder (default work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto', default=None, metavar='PATH',
                        help='resume from PATH, or alone: from the newest checkpoint in the '
                        'work dir')
    parser.add_argument('--amp', nargs='?', const='float16', choices=('float16', 'bfloat16'),
                        help='mixed precision on a CUDA GPU, float16 (the default) or bfloat16')
    parser.add_argument('--smoke', action='store_true',
                        help='30 iterations on tiny synthetic data; fails unless the losses '
                        'are finite and decrease (run this before a long job)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override config entries, e.g. '
                        'train_dataloader.dataset.data_root=DIR')
    parser.add_argument('--condition', choices=VISION_CONDITIONS, metavar='NAME',
                        help='vision condition: its preprocessing, the model\'s condition '
                        'input and the work dir suffix _NAME (one of: '
                        + ', '.join(VISION_CONDITIONS) + ')')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                        help='job launcher (pytorch: started by torchrun)')
    parser.add_argument('--local_rank', '--local-rank', help='set by torchrun', type=int,
                        default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """The config with the command line's choices as entries (the runner prepares it)."""
    from maxsight.utils import default_work_dir, load_config
    from maxsight.utils.cli import ToolError
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.launcher = args.launcher
    if args.condition:
        cfg.vision_condition = args.condition
    if args.smoke:
        if args.resume:
            raise ToolError('--smoke and --resume cannot be combined')
        from maxsight.engine.smoke import smoke_config
        cfg.work_dir = default_work_dir(cfg).rstrip('/') + '_smoke'
        smoke_config(cfg)
    if args.resume:
        cfg.resume = True
        cfg.load_from = None if args.resume == 'auto' else args.resume
    if args.amp:
        cfg.amp = args.amp
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    from maxsight import register_all_modules
    from maxsight.engine import build_runner
    from maxsight.utils import default_work_dir
    from maxsight.utils.cli import clean_work_dir_on_failure
    register_all_modules()
    cfg = build_config(args)
    with clean_work_dir_on_failure(default_work_dir(cfg)):
        build_runner(cfg).train()


if __name__ == '__main__':
    run_tool(main)

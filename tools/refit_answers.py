"""Fit a T3 / T4 checkpoint's answer MLP again on the answers the trained model gives (a
T5 checkpoint's motion refiner on its predictions of the training clips):
python tools/refit_answers.py CONFIG CKPT --out CKPT2 [--steps 2000] [--lr 1e-3].

What AnswerRefitHook does at the end of training (the T3, T4 and T5 configs have it), for
a checkpoint trained without it. The operating point stored in CKPT is dropped from CKPT2:
run tools/calibrate.py on CKPT2 to set one again. The run itself is
maxsight/engine/answer_refit.py.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight.tool_runner import run_tool  # noqa: E402  (light: --help without torch)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fit a T3 / T4 checkpoint's answer MLP again on the answers the "
                    "trained model gives on the training split (a T5 checkpoint's motion "
                    'refiner on its predictions of the training clips), into a new '
                    'checkpoint.')
    parser.add_argument('config', help='config file the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--out', required=True,
                        help='new checkpoint file to write (an existing file is refused)')
    parser.add_argument('--steps', type=int, default=2000,
                        help='full-batch Adam steps of the fit (default 2000)')
    parser.add_argument('--lr', type=float, default=1e-3,
                        help='learning rate of the fit (default 1e-3)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override config entries, e.g. '
                        'train_dataloader.dataset.data_root=DIR')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from maxsight import register_all_modules
    from maxsight.engine.answer_refit import format_refit, refit_checkpoint
    from maxsight.utils import load_config
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    out = refit_checkpoint(cfg, args.checkpoint, args.out, args.steps, args.lr)
    print(format_refit(out))
    print(f'written to {args.out}; its operating point was dropped: run tools/calibrate.py '
          'on it to set one')
    return out


if __name__ == '__main__':
    run_tool(main)

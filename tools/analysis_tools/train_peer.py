"""Train and evaluate the benchmark peer (FCOS ResNet-18 FPN) on a config's data.

The peer is torchvision's FCOS with a ResNet-18 FPN, from scratch; it trains for a
wall-time budget, then is evaluated with the same COCO evaluation as MaxSight.

python tools/analysis_tools/train_peer.py CONFIG --minutes 9.1 [--lr 1e-3] [--out peer.json]
    [--warmup 0] [--overfit N]

Same training images, pipeline (resize, flip), batch size and validation set as CONFIG;
the recipe is in maxsight/analysis/peer_training.py. ``--overfit N`` is the sanity check of
the peer's training path: it trains on the first N training images only and evaluates on
those same images (test pipeline), where a working detector must reach a high mAP.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.analysis.peer_training import overfit_config, train_peer  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.utils import load_config, prepare_config  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description="Train and evaluate the benchmark peer (FCOS ResNet-18 FPN) on a config's "
                    "data.")
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--minutes', type=float, required=True, help='training wall time')
    parser.add_argument('--lr', help='learning rate', type=float, default=1e-3)
    parser.add_argument('--warmup', type=int, default=0,
                        help='linear warm-up iterations from 1 %% of the rate (0: none)')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--overfit', type=int, metavar='N',
                        help='train and evaluate on the first N training images only')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    if args.overfit is not None:
        overfit_config(cfg, args.overfit)
    prepare_config(cfg, splits=('train', 'val'))
    out = train_peer(cfg, args.minutes, args.lr, args.warmup, args.overfit)
    if args.out:
        write_json_atomic(args.out, out, indent=2)
    return out


if __name__ == '__main__':
    run_tool(main)

"""How much of each object's motion a T5 model's own predictions carry: the slopes its
ClipMotionRefiner reads (log box height and log distance along each prediction's track)
against the true rate of approach v / d of the annotated clip objects
(docs/tiers.md#the-clip-stage-t5-against-t4).

python tools/analysis_tools/clip_motion_signal.py CONFIG CHECKPOINT [--cfg-options K=V ...]

Scores the config's test clips. See maxsight/analysis/clip_motion_signal.py.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.clip_motion_signal import clip_motion_signal, format_signal  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    parser = argparse.ArgumentParser(
        description='Correlation of a T5 model\'s motion cue (the slopes its '
                    'ClipMotionRefiner reads) with the true rate of approach v / d of each '
                    'annotated clip object it finds, on the config\'s test clips.')
    parser.add_argument('config', help='a config with model.motion (e.g. '
                        'configs/t5_temporal_finetune.py)')
    parser.add_argument('checkpoint', help='weights trained with that config')
    parser.add_argument('--min-iou', type=float, default=0.5,
                        help='IoU from which an object counts as found (default: %(default)s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override entries of the config, e.g. the test clips')
    args = parser.parse_args(argv)
    out = clip_motion_signal(args.config, args.checkpoint, args.cfg_options, args.min_iou)
    print(format_signal(out))
    return out


if __name__ == '__main__':
    run_tool(main)

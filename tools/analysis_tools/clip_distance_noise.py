"""How much of a model's distance error a clip could remove: frame noise against bias.

python tools/analysis_tools/clip_distance_noise.py ANN_FILE PRED_JSON
    [--score-thr 0.3] [--iou-thr 0.5]

ANN_FILE: a COCO file of clips (images with clip_id, annotations with track_id).
PRED_JSON: the detections ``tools/test.py --pred-out`` writes (with distance_m).
Prints the distance MAE of the found objects as it is and with every track's
frame-to-frame error removed; see maxsight/evaluation/clip_distance_noise.py.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.evaluation.clip_distance_noise import distance_noise, format_noise  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(
        description='Split the distance error of the objects a model finds in clips into '
                    'frame noise (what a temporal model could average away) and each '
                    "object's bias, and print the distance MAE without the frame noise.")
    parser.add_argument('ann_file', help='COCO annotation file of clips (e.g. '
                                         'annotations/test_clips.json)')
    parser.add_argument('pred_file', help='detections from tools/test.py --pred-out')
    parser.add_argument('--score-thr', help='display threshold', type=float, default=0.3)
    parser.add_argument('--iou-thr', help='IoU to count as found', type=float, default=0.5)
    args = parser.parse_args(argv)
    row = distance_noise(args.ann_file, args.pred_file, args.score_thr, args.iou_thr)
    print(format_noise(row))
    return row


if __name__ == '__main__':
    run_tool(main)

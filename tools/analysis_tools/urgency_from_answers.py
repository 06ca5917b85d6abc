"""How much urgency a model leaves unused in its own answers: its urgency calls on the
objects it detected against the data's urgency rule applied to the same detections'
class, predicted distance and position, and with the true distance.

python tools/analysis_tools/urgency_from_answers.py ANN_FILE PRED_JSON
    [--score-thr 0.3] [--iou-thr 0.5]

PRED_JSON: the detections ``tools/test.py --pred-out`` writes (a tier-ladder run folder's
``ladder_test_predictions*.json``); see maxsight/analysis/urgency_from_answers.py.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.urgency_from_answers import (format_answers_table,  # noqa: E402
                                                    urgency_from_answers)
from maxsight.utils.cli import add_matching_arguments, run_tool  # noqa: E402


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(
        description="Urgency accuracy of a model's calls on the objects it detected, against "
                    "the data's urgency rule on the same detections' answers (class, "
                    'predicted distance, position) and with the true distance.')
    parser.add_argument('ann_file', help='COCO annotation file of the evaluated split')
    parser.add_argument('pred_file', help='detections from tools/test.py --pred-out')
    add_matching_arguments(parser)
    args = parser.parse_args(argv)
    out = urgency_from_answers(args.ann_file, args.pred_file, args.score_thr, args.iou_thr)
    print(format_answers_table(out))
    return out


if __name__ == '__main__':
    run_tool(main)

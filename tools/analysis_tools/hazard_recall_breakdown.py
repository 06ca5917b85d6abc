"""Hazard recall broken down by an annotation field: which hazards does a model miss?

python tools/analysis_tools/hazard_recall_breakdown.py ANN_FILE PRED_JSON
    [--by FIELD] [--bins 0,0.3,0.5,1.01] [--score-thr 0.3] [--iou-thr 0.5]

ANN_FILE: a COCO annotation file (parsed and validated as the datasets do, so urgency left
out of an annotation is derived the same way). PRED_JSON: the detections ``tools/test.py
--pred-out`` writes (image_id, category_id, bbox xywh, score, urgency).

Hazards are the non-crowd objects with urgency >= 2, matched as ``AssistiveMetric``
matches (so the ``all`` row equals its ``urgency/hazard_recall``); see
maxsight/evaluation/hazard_breakdown.py.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.evaluation.hazard_breakdown import format_table, hazard_breakdown  # noqa: E402
from maxsight.utils.cli import add_matching_arguments, run_tool  # noqa: E402


def main(argv: Optional[List[str]] = None) -> Dict[str, Dict]:
    parser = argparse.ArgumentParser(
        description='Break hazard recall down by an annotation field, to see which hazards a '
                    'model misses.')
    parser.add_argument('ann_file', help='COCO annotation file of the evaluated split')
    parser.add_argument('pred_file', help='detections from tools/test.py --pred-out')
    parser.add_argument('--by', default='occlusion', help='numeric annotation field to bin')
    parser.add_argument('--bins', default='0,0.01,0.3,0.5,0.65,1.01',
                        help='comma-separated bin edges (lower edge inclusive)')
    add_matching_arguments(parser)
    args = parser.parse_args(argv)
    try:
        bins = [float(v) for v in args.bins.split(',')]
    except ValueError:
        parser.error(f'--bins: expected numbers separated by commas, got {args.bins!r}')
    rows = hazard_breakdown(args.ann_file, args.pred_file, args.by, bins, args.score_thr,
                            args.iou_thr)
    print(format_table(rows, args.by, bins))
    return rows


if __name__ == '__main__':
    run_tool(main)

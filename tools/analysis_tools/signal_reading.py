"""Does a model read the signal set's pedestrian signal? The signal-blind ceiling of
``urgency/acc_context`` on a held-out file, and for each predictions file the matched
vehicles' accuracy and mean predicted urgency at "walk" and at "don't walk"
(docs/tiers.md#measured-2026-12-06-t2-on-the-signal-set).

python tools/analysis_tools/signal_reading.py [TEST_ANN] [PREDICTIONS ...] [--score-thr T]

TEST_ANN defaults to data/maxsight_signals/annotations/test.json; PREDICTIONS are COCO
result files with ``urgency``, e.g. a tier ladder run's ladder_test_predictions.json. See
maxsight/analysis/signal_reading.py.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.signal_reading import (reading_by_state,  # noqa: E402
                                              signal_blind_ceiling)
from maxsight.datasets.labels import SIGNAL_STATES  # noqa: E402
from maxsight.utils.cli import add_matching_arguments, run_tool  # noqa: E402


def main(argv: Optional[List[str]] = None) -> Dict[str, dict]:
    parser = argparse.ArgumentParser(
        description='Whether models read the signal set\'s pedestrian signal: the signal-'
                    'blind ceiling of urgency/acc_context, and each model\'s predicted '
                    'urgency of the vehicles per signal state.')
    parser.add_argument('test_ann', nargs='?',
                        default='data/maxsight_signals/annotations/test.json',
                        help='signal-set annotations to score (default: %(default)s)')
    parser.add_argument('predictions', nargs='*',
                        help='COCO result files with urgency (ladder_test_predictions.json)')
    add_matching_arguments(parser)
    args = parser.parse_args(argv)
    ceiling = signal_blind_ceiling(args.test_ann)
    print(f'{args.test_ann}: {ceiling["n"]} vehicles, {ceiling["same_share"]:.1%} with the '
          f'same level in both states; signal-blind ceiling of urgency/acc_context '
          f'{ceiling["acc"]:.3f}')
    out = dict(ceiling=ceiling)
    for path in args.predictions:
        rows = reading_by_state(args.test_ann, path, args.score_thr, args.iou_thr)
        out[path] = rows
        print(path)
        for state in SIGNAL_STATES:
            r = rows[state]
            print(f'  {state:9s} {r["n"]:5d} matched  acc {r["acc"]:.3f}  mean level true '
                  f'{r["true_mean"]:.2f} predicted {r["pred_mean"]:.2f}')
    return out


if __name__ == '__main__':
    run_tool(main)

"""Train every tier with the same schedule over several seeds and score each on the
held-out split on the metrics it is built for (docs/tiers.md#the-tier-ladder).

python tools/analysis_tools/tier_ladder.py [CONFIG ...] [--seeds 0 1 2] [--epochs 10]
    [--work-root work_dirs/ladder] [--test-ann annotations/test.json]
    [--init-from CKPT_WITH_{seed}] [--cfg-options ...] [--test-options ...]

CONFIG: tier configs in ladder order (default T0-T4). Each (tier, seed) run trains into
``<work-root>/<tier>_seed<seed>`` and stores its result there, so the ladder can be run
again after an interruption and only repeats what is missing. The table (means with the
[min, max] over the seeds) and the comparison of each tier with the one below go to
stdout, ``<work-root>/ladder.md`` and ``<work-root>/ladder.json``; see
maxsight/analysis/tier_ladder.py.

--test-options scores the same runs another way without training them again (their files
get a suffix of their own), e.g. each model's own urgency call instead of the calibrated
operating point's:

python tools/analysis_tools/tier_ladder.py ... --test-options use_operating_point=False \
    model.bbox_head.test_cfg.hazard_prob_thr=None

The clip stage (T5 against T4, each fine-tuned from the same T4 run of its seed):

python tools/analysis_tools/tier_ladder.py configs/t4_clip_frames_finetune.py \
    configs/t5_temporal_finetune.py --epochs 8 --work-root work_dirs/ladder_clips \
    --test-ann annotations/test_clips.json \
    --init-from 'work_dirs/ladder/t4_cross_modal_seed{seed}/epoch_10.pth'
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.tool_runner import run_tool  # noqa: E402

DEFAULT_TIERS = ['configs/t0_baseline.py', 'configs/t1_attention.py', 'configs/t2_default.py',
                 'configs/t3_cross_task.py', 'configs/t4_cross_modal.py']


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(
        description='Train each tier over several seeds with one schedule and compare each '
                    'with the tier below on the held-out split.')
    parser.add_argument('configs', nargs='*', default=DEFAULT_TIERS,
                        help='tier configs, lowest first (default: T0-T4)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='training seeds of every tier (default: 0 1 2)')
    parser.add_argument('--epochs', type=int, default=10,
                        help="epochs of every run (default: 10, make train's)")
    parser.add_argument('--work-root', default='work_dirs/ladder',
                        help='folder of the runs and the table (default: work_dirs/ladder)')
    parser.add_argument('--test-ann', default='annotations/test.json',
                        help='held-out annotation file, relative to the data root '
                        '(default: annotations/test.json)')
    parser.add_argument('--init-from', metavar='CKPT',
                        help='start every run from this checkpoint ({seed}: the run\'s seed), '
                        'transferring the weights that match; default: from scratch')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override entries of every config')
    parser.add_argument('--test-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE',
                        help='override entries at the test step only; the results go to files '
                        'of their own beside the default ones, and no run trains again')
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f'--epochs must be >= 1, got {args.epochs}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds must differ, got {args.seeds}')
    if args.init_from is not None:
        try:
            args.init_from.format(seed=0)
        except (KeyError, IndexError, ValueError):
            parser.error(f'--init-from may contain only {{seed}} as a placeholder, got '
                         f'{args.init_from!r}')
    missing = [c for c in args.configs if not osp.isfile(c)]
    if missing:  # before any tier trains
        raise FileNotFoundError(f'config file not found: {missing[0]}')
    from maxsight import register_all_modules
    from maxsight.analysis.tier_ladder import run_ladder
    register_all_modules()
    out = run_ladder(args.configs, args.seeds, args.epochs, args.work_root, args.test_ann,
                     args.cfg_options, args.init_from, args.test_options)
    print(out['table'])
    return out


if __name__ == '__main__':
    run_tool(main)

"""Hyper-parameter search with Optuna over the search space declared in a config.

python tools/automl.py CONFIG --n-trials N [--epochs E] [--storage sqlite:///study.db]
    [--study-name NAME] [--metric KEY] [--work-dir DIR] [--cfg-options k=v ...]

Every trial trains CONFIG (as tools/train.py would) with the trial's values for E epochs
(default: the config's) and reports the val metric after each epoch, so the config's
pruner (automl.pruner) stops poor trials early. With --storage the study is saved and a
later call with the same storage and study name continues it. Writes
<work_dir>/best_hyperparameters.json and <work_dir>/best_config.py (the config with the
best values and its own epoch count), which tools/train.py trains as is. The search is
maxsight/engine/hyperparameter_search.py.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight import register_all_modules  # noqa: E402
from maxsight.engine.hyperparameter_search import import_optuna, search  # noqa: E402
from maxsight.utils import load_config  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Search hyper-parameters with Optuna over a config's automl search space.")
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--n-trials', help='trials to run', type=int, required=True)
    parser.add_argument('--epochs', type=int, help='epochs per trial (default: config)')
    parser.add_argument('--storage', help='Optuna storage URL, e.g. sqlite:///study.db '
                        '(resumable); default in memory')
    parser.add_argument('--study-name', help='default: the config name')
    parser.add_argument('--metric', help='val metric to optimise (default: automl.metric)')
    parser.add_argument('--work-dir', help='default work_dirs/automl_<config name>')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import_optuna()
    register_all_modules()
    name = osp.splitext(osp.basename(args.config))[0]
    work_dir = args.work_dir or osp.join('work_dirs', f'automl_{name}')
    base = load_config(args.config, args.cfg_options)
    result = search(base, work_dir, args.n_trials, args.epochs, args.storage,
                    args.study_name or name, args.metric)
    print(f'best {result["metric"]} = {result["value"]:.4f} (trial {result["trial"]}): '
          f'{result["params"]}\nwrote {osp.join(work_dir, "best_hyperparameters.json")} and '
          f'{osp.join(work_dir, "best_config.py")}')
    return result


if __name__ == '__main__':
    run_tool(main)

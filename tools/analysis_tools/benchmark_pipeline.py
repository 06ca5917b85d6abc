"""Is the data pipeline fast enough? Pipeline samples/s beside the model's train img/s.

Train-pipeline samples/s with 0 and N workers and the model's train img/s, measured in one
run (maxsight/analysis/pipeline_speed.py).

python tools/analysis_tools/benchmark_pipeline.py CONFIG [--batches 20] [--workers 2]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight.analysis.common import load_prepared  # noqa: E402
from maxsight.analysis.pipeline_speed import compare_pipeline_and_model  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description="Measure the data pipeline's samples per second beside the model's training "
                    "images per second.")
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--batches', help='batches timed', type=int, default=20)
    parser.add_argument('--workers',
                        help='data-loader workers of the second run', type=int, default=2)
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    cfg = load_prepared(args.config, args.cfg_options, splits=('train',))
    res = compare_pipeline_and_model(cfg, args.batches, args.workers)
    for k, v in res.items():
        print(f'{k:40s} {v:10.1f}')
    print('pipeline is ' + ('NOT ' if res['pipeline_to_model_ratio'] < 3 else '') +
          'at least 3x faster than the model')
    return res


if __name__ == '__main__':
    run_tool(main)

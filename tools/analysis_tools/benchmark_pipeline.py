"""Is the data pipeline fast enough? Train-pipeline samples/s (0 and N workers) beside the
model's train img/s, measured in one run.

python tools/analysis_tools/benchmark_pipeline.py CONFIG [--batches 20] [--workers 2]
"""
import argparse
import os.path as osp
import sys
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.registry import MODELS  # noqa: E402
from maxsight.utils import load_config, preload_batches, prepare_config  # noqa: E402


def pipeline_rate(cfg: Config, workers: int, batches: int) -> float:
    """Samples/s of the train dataloader (decode + transforms + collate)."""
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(num_workers=workers, persistent_workers=workers > 0)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    it = iter(loader)
    next(it)  # worker start-up is not throughput
    start, n = time.perf_counter(), 0
    for _ in range(batches):
        n += len(next(it)['inputs'])
    return n / (time.perf_counter() - start)


def model_rate(cfg: Config, batches: int) -> float:
    """Images/s of forward + backward + AdamW step on pre-loaded batches."""
    data = preload_batches(cfg.train_dataloader, 4)
    model = MODELS.build(cfg.model)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step(batch):
        batch = model.data_preprocessor(batch, training=True)
        loss = sum(model(**batch, mode='loss').values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return len(batch['inputs'])

    step(data[0])  # warm-up
    start, n = time.perf_counter(), 0
    for i in range(batches):
        n += step(data[i % len(data)])
    return n / (time.perf_counter() - start)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--batches', type=int, default=20)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    prepare_config(cfg, splits=('train',))
    res = {
        'pipeline_samples_per_s_0_workers': pipeline_rate(cfg, 0, args.batches),
        f'pipeline_samples_per_s_{args.workers}_workers': pipeline_rate(cfg, args.workers,
                                                                        args.batches),
        'model_train_img_per_s': model_rate(cfg, max(args.batches // 2, 3)),
    }
    ratio = res[f'pipeline_samples_per_s_{args.workers}_workers'] / res['model_train_img_per_s']
    res['pipeline_to_model_ratio'] = ratio
    for k, v in res.items():
        print(f'{k:40s} {v:10.1f}')
    print('pipeline is ' + ('NOT ' if ratio < 3 else '') + 'at least 3x faster than the model')
    return res


if __name__ == '__main__':
    main()

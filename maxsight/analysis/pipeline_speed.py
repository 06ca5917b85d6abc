"""Is the data pipeline fast enough? Train-pipeline samples/s beside the model's train
img/s, measured in one run (``tools/analysis_tools/benchmark_pipeline.py``)."""
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ..registry import MODELS
from ..utils.config_preparation import preload_batches


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


def compare_pipeline_and_model(cfg: Config, batches: int = 20, workers: int = 2) -> dict:
    """Train-pipeline samples/s with 0 and ``workers`` workers, the model's train img/s,
    and the ratio of the faster pipeline to the model."""
    res = {
        'pipeline_samples_per_s_0_workers': pipeline_rate(cfg, 0, batches),
        f'pipeline_samples_per_s_{workers}_workers': pipeline_rate(cfg, workers, batches),
        'model_train_img_per_s': model_rate(cfg, max(batches // 2, 3)),
    }
    res['pipeline_to_model_ratio'] = (res[f'pipeline_samples_per_s_{workers}_workers'] /
                                      res['model_train_img_per_s'])
    return res

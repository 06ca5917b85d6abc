"""How cost grows with the work (``tools/analysis_tools/benchmark_scaling.py``).

* Image size: train and inference seconds per image of a config's model at square sizes
  (default 256, 512, 640, 1024 px), on generated images with a fixed number of objects;
  the work grows with the pixels (16x from 256 to 1024 px).
* Objects: seconds per image of the head's Hungarian matching at one size for 1, 10, 50
  and 100 objects (the config's matcher, its one-to-k tiling, 80 classes), with and
  without the candidate pre-selection (``candidate_rows``), and the number of candidate
  rows; the cost matrix grows with locations x objects.

Medians over ``iters`` calls after ``warmup``, in one process: compare the ratios.
"""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from ..registry import TASK_UTILS
from ..structures import DetDataSample
from .common import best_device, build_trainable, median_seconds


def generated_batch(size: int, batch_size: int, num_objects: int, num_classes: int,
                    seed: int = 0) -> dict:
    """``batch_size`` random uint8 images of size x size with ``num_objects`` random boxes
    (xyxy pixels) each, as the data preprocessor takes them."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch_size):
        inputs.append(torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g))
        xy = torch.rand(num_objects, 2, generator=g) * size * 0.8
        wh = (torch.rand(num_objects, 2, generator=g) * 0.15 + 0.03) * size
        n = num_objects
        gt = InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                          labels=torch.randint(0, num_classes, (n,), generator=g),
                          distance_m=torch.rand(n, generator=g) * 10 + 1,
                          distance_zone=torch.randint(0, 3, (n,), generator=g),
                          urgency=torch.randint(0, 4, (n,), generator=g))
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             scale_factor=(1.0, 1.0), scene_urgency=0))
        sample.gt_instances = gt
        sample.ignored_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                                labels=torch.zeros(0, dtype=torch.long))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def image_size_curve(cfg: Config, sizes: Sequence[int], batch_size: int = 2,
                     num_objects: int = 10, iters: int = 5, warmup: int = 2
                     ) -> List[Dict[str, float]]:
    """Per size: train and inference seconds per image (batch ``batch_size``)."""
    device = best_device()
    model, optim = build_trainable(cfg, device)
    num_classes = int(cfg.model.bbox_head.num_classes)
    rows = []
    for size in sizes:
        batch = generated_batch(size, batch_size, num_objects, num_classes)

        def train(i: int) -> None:
            model.train()
            model.train_step(batch, optim)

        def infer(i: int) -> None:
            model.eval()
            with torch.no_grad():
                model.test_step(batch)
        row = dict(size=size, train_s_per_img=median_seconds(train, iters, warmup, device)
                   / batch_size,
                   infer_s_per_img=median_seconds(infer, iters, warmup, device) / batch_size)
        print(f'{size} px: train {row["train_s_per_img"]:.4f} s/img, infer '
              f'{row["infer_s_per_img"]:.4f} s/img', flush=True)
        rows.append(row)
    return rows


def matching_curve(cfg: Config, size: int, objects: Sequence[int], num_classes: int = 80,
                   iters: int = 5, warmup: int = 2) -> List[Dict[str, float]]:
    """Per object count: seconds per image of the config's matcher at ``size`` px with the
    candidate pre-selection and over every location, and the candidate rows."""
    from ..models.heads.multitask_dense_head import anchor_points
    from ..models.task_modules import hungarian_matcher as hm
    matcher = TASK_UTILS.build(cfg.model.bbox_head.matcher)
    strides = cfg.model.bbox_head.get('strides', (8, 16, 32))
    g = torch.Generator().manual_seed(0)
    points, _ = anchor_points([(size // s, size // s) for s in strides], strides)
    n = len(points)
    logits = torch.randn(n, num_classes, generator=g) - 3
    half = torch.rand(n, 2, generator=g) * 40 + 8
    boxes = torch.cat([points - half, points + half], 1)
    rows = []
    for m in objects:
        batch = generated_batch(size, 1, m, num_classes, seed=m)
        gt = batch['data_samples'][0].gt_instances
        args = (logits, boxes, gt.labels, gt.bboxes, (size, size), points)
        with_cand = median_seconds(lambda i: matcher.match(*args), iters, warmup,
                                   torch.device('cpu'))
        cost = matcher.cost_matrix(*args)
        cand = hm.candidate_rows(cost, m * matcher.num_matches_per_gt)
        tiled = np.repeat(np.arange(m), matcher.num_matches_per_gt)

        def full(i: int) -> None:
            c = matcher.cost_matrix(*args).numpy()[:, tiled]
            hm.optimal_assignment(c)
        row = dict(objects=m, locations=n, candidate_rows=n if cand is None else len(cand),
                   match_s=with_cand,
                   match_all_rows_s=median_seconds(full, iters, warmup, torch.device('cpu')))
        print(f'{m} objects: match {row["match_s"]:.4f} s ({row["candidate_rows"]} of {n} '
              f'rows), over every row {row["match_all_rows_s"]:.4f} s', flush=True)
        rows.append(row)
    return rows

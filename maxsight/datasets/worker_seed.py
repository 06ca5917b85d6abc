"""Data-loader worker seeding that changes every epoch."""
import random

import numpy as np
import torch

from ..registry import FUNCTIONS


@FUNCTIONS.register_module()
def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` seeding Python's and numpy's generators from the worker's torch seed.

    torch seeds each worker with ``base_seed + worker_id``, where ``base_seed`` is drawn
    from the main process's generator when an epoch's loader iterator starts (reseeded per
    epoch by ``EpochRandomnessHook``). mmengine's default seeds workers with ``seed +
    worker_id`` every epoch, so each epoch replays the same augmentation stream.
    """
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)

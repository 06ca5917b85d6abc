"""Randomness that makes an interrupted and resumed run identical to an uninterrupted one."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from ...registry import HOOKS

RNG_KEY = 'rng_state'


def epoch_seed(seed: int, epoch: int, rank: Optional[int] = None) -> int:
    """A 32-bit seed for ``epoch`` (and ``rank``) derived from the run's seed."""
    entropy = [seed % 2**32, epoch] + ([rank] if rank is not None else [])
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def capture_rng_state() -> dict:
    """Python, numpy and torch (CPU and every CUDA device) generator states."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    # numpy's key array as a torch tensor: checkpoints load with weights_only=True
    numpy_state = (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
                   float(gauss))
    state = dict(python=random.getstate(), numpy=numpy_state, torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    """Inverse of :func:`capture_rng_state`."""
    random.setstate(_as_python_state(state['python']))
    name, keys, pos, has_gauss, gauss = state['numpy']
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _as_python_state(state) -> tuple:
    version, internal, gauss = state  # lists after a round trip through some serialisers
    return version, tuple(internal), gauss


@HOOKS.register_module()
class EpochRandomnessHook(Hook):
    """Makes every training epoch's random stream a function of (seed, epoch).

    * Before each training epoch the Python, numpy and torch generators are reseeded from
      ``epoch_seed(runner.seed, epoch)`` (and the rank when ``randomness.diff_rank_seed``),
      so augmentation, dropout / drop path and the data-loader workers' seeds (drawn from
      torch's generator when the epoch's loader iterator starts; see
      ``maxsight.seed_worker``) do not depend on what ran before: validation, a resume,
      or how many times the run was interrupted.
    * The generator states at save time go into every checkpoint (``rng_state``) and are
      restored on resume, so code that runs between the resume and the first epoch (hooks'
      ``before_train``) also sees the uninterrupted stream.
    """
    priority = 'VERY_HIGH'  # before other hooks that may draw random numbers

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if loader.num_workers > 0 and loader.persistent_workers:
            runner.logger.warning(
                'EpochRandomnessHook: train_dataloader.persistent_workers=True keeps worker '
                'generators across epochs, so a resumed run will not replay the same '
                'augmentation; set persistent_workers=False for exact resume.')

    def before_train_epoch(self, runner) -> None:
        diff_rank = runner.cfg.get('randomness', {}).get('diff_rank_seed', False)
        seed_everything(epoch_seed(runner.seed, runner.epoch,
                                   get_rank() if diff_rank else None))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[RNG_KEY] = capture_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if getattr(runner, '_resume', False) and RNG_KEY in checkpoint:
            restore_rng_state(checkpoint[RNG_KEY])

"""Samplers selectable in config: class-balanced repeat-factor sampling and weighted
multi-source mixing. Both are epoch-seeded (``set_epoch``, called by mmengine's
``DistSamplerSeedHook``) and split their indices across processes like mmengine's
``DefaultSampler``."""
import math
from typing import Iterator, List, Optional, Sequence

import numpy as np
from mmengine.dataset import ConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from ..registry import DATA_SAMPLERS


class _EpochSeededSampler(Sampler):
    """Common base: seed, epoch and rank slicing."""

    def __init__(self, dataset, seed: Optional[int] = None):
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch])

    def epoch_indices(self) -> List[int]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        indices = self.epoch_indices()
        total = math.ceil(len(indices) / self.world_size) * self.world_size
        indices += indices[:total - len(indices)]  # pad so every rank gets as many
        return iter(indices[self.rank:total:self.world_size])

    def __len__(self) -> int:
        return math.ceil(len(self.epoch_indices()) / self.world_size)


def repeat_factors(image_labels: Sequence[Sequence[int]], oversample_thr: float
                   ) -> np.ndarray:
    """LVIS repeat factors (Gupta et al. 2019): for class c with image frequency f(c),
    r(c) = max(1, sqrt(t / f(c))); an image repeats max over its classes (1 if none)."""
    num_images = max(len(image_labels), 1)
    counts = {}
    for labels in image_labels:
        for c in set(labels):
            counts[c] = counts.get(c, 0) + 1
    class_factor = {c: max(1.0, math.sqrt(oversample_thr / (n / num_images)))
                    for c, n in counts.items()}
    return np.array([max((class_factor[c] for c in set(labels)), default=1.0)
                     for labels in image_labels])


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(_EpochSeededSampler):
    """Repeat-factor sampling: images holding rare classes are repeated each epoch.

    Scheme: LVIS repeat factor sampling with threshold ``oversample_thr`` (see
    :func:`repeat_factors`); a fractional factor r is realised by stochastic rounding per
    epoch (floor(r) copies plus one more with probability r - floor(r)); the epoch's list
    is then shuffled. Needs ``dataset.get_cat_ids(idx)``.
    """

    def __init__(self, dataset, oversample_thr: float = 0.3, seed: Optional[int] = None):
        super().__init__(dataset, seed)
        if not hasattr(dataset, 'get_cat_ids'):
            raise TypeError(f'ClassBalancedSampler needs a dataset with get_cat_ids(idx); '
                            f'{type(dataset).__name__} has none')
        self.factors = repeat_factors([dataset.get_cat_ids(i) for i in range(len(dataset))],
                                      oversample_thr)

    def epoch_indices(self) -> List[int]:
        rng = self._rng()
        whole = np.floor(self.factors)
        reps = whole + (rng.random(len(self.factors)) < self.factors - whole)
        indices = np.repeat(np.arange(len(self.factors)), reps.astype(np.int64))
        return rng.permutation(indices).tolist()


@DATA_SAMPLERS.register_module()
class MultiSourceSampler(_EpochSeededSampler):
    """Mix the sources of a :class:`mmengine.dataset.ConcatDataset` by weight.

    Each of the ``num_samples`` draws per epoch (default: the total size) picks source i
    with probability ``weights[i] / sum(weights)``, then an image of that source without
    replacement (cycling through a fresh permutation when a source runs out).
    """

    def __init__(self, dataset, weights: Sequence[float], num_samples: Optional[int] = None,
                 seed: Optional[int] = None):
        super().__init__(dataset, seed)
        if not isinstance(dataset, ConcatDataset):
            raise TypeError('MultiSourceSampler needs dataset=dict(type=\'ConcatDataset\', '
                            f'datasets=[...]), got {type(dataset).__name__}')
        sizes = [len(d) for d in dataset.datasets]
        if len(weights) != len(sizes) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f'MultiSourceSampler: need one non-negative weight per source '
                             f'({len(sizes)} sources), got {list(weights)}')
        self.sizes = sizes
        self.offsets = np.cumsum([0] + sizes[:-1])
        self.probs = np.asarray(weights, np.float64) / float(sum(weights))
        self.num_samples = int(num_samples or sum(sizes))

    def epoch_indices(self) -> List[int]:
        rng = self._rng()
        sources = rng.choice(len(self.sizes), size=self.num_samples, p=self.probs)
        pools = [[] for _ in self.sizes]
        out = []
        for s in sources:
            if not pools[s]:
                pools[s] = rng.permutation(self.sizes[s]).tolist()
            out.append(int(self.offsets[s] + pools[s].pop()))
        return out

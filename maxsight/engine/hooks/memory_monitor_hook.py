"""Resident memory of the training process over a run: does it leak?"""
import json
import os
import os.path as osp
import resource
from typing import List, Optional, Tuple

from mmengine.hooks import Hook

from ...registry import HOOKS


def current_rss_bytes() -> int:
    """Resident set size of this process now (Linux ``/proc``; elsewhere the peak)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_growth(samples: List[Tuple[int, int]], warmup_iters: int, window: float = 0.25
                  ) -> Optional[Tuple[int, int, float]]:
    """``(reference rss, final rss, relative growth)`` from ``(iteration, rss)`` samples.

    Resident memory in a training loop is a sawtooth (allocator pools, data-loader worker
    start-up): comparing two single samples measures where on the tooth they fell. Compared
    instead: the highest sample in the first ``window`` of the samples after
    ``warmup_iters`` against the highest in the last ``window``. None with fewer than two
    samples after warm-up."""
    after = [rss for it, rss in samples if it >= warmup_iters]
    if len(after) < 2:
        return None
    n = max(1, int(len(after) * window))
    ref, last = max(after[:n]), max(after[-n:])
    return ref, last, (last - ref) / ref


@HOOKS.register_module()
class MemoryMonitorHook(Hook):
    """Samples the training process's resident memory every ``interval`` iterations (logged
    as ``rss_mb``), and at the end reports the growth after warm-up (the first
    ``warmup_fraction`` of the iterations; see :func:`memory_growth`) and writes
    ``<work_dir>/memory.json``.
    ``max_growth`` (e.g. 0.05): fail the run when the growth exceeds it.
    """
    priority = 'LOW'

    def __init__(self, interval: int = 50, warmup_fraction: float = 0.1,
                 max_growth: Optional[float] = None):
        self.interval, self.warmup_fraction, self.max_growth = interval, warmup_fraction, \
            max_growth
        self.samples: List[Tuple[int, int]] = []

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            rss = current_rss_bytes()
            self.samples.append((runner.iter + 1, rss))
            runner.message_hub.update_scalar('train/rss_mb', rss / 2**20)

    def after_train(self, runner) -> None:
        warmup = int(self.warmup_fraction * runner.max_iters)
        growth = memory_growth(self.samples, warmup)
        report = dict(samples=[dict(iter=i, rss_mb=r / 2**20) for i, r in self.samples],
                      warmup_iters=warmup)
        if growth is not None:
            ref, last, rel = growth
            report.update(peak_rss_mb_after_warmup=ref / 2**20, peak_rss_mb_at_end=last / 2**20,
                          growth=rel)
            runner.logger.info(f'MemoryMonitorHook: peak resident memory {ref / 2**20:.1f} MiB '
                               f'just after warm-up (iteration {warmup}) -> '
                               f'{last / 2**20:.1f} MiB at the end: {100 * rel:+.2f} %')
        with open(osp.join(runner.work_dir, 'memory.json'), 'w') as f:
            json.dump(report, f, indent=1)
        if growth is not None and self.max_growth is not None and growth[2] > self.max_growth:
            raise RuntimeError(f'MemoryMonitorHook: resident memory grew {100 * growth[2]:.1f} '
                               f'% after warm-up (limit {100 * self.max_growth:.1f} %)')

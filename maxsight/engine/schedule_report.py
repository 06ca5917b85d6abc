"""The resolved parameter schedule of a training run, as one log line, and the warning
that a schedule stops before the run does.

mmengine converts epoch-based schedulers to iterations when it builds them, so a config's
schedule is only known once the train dataloader's length is: this reads the built
schedulers and says, in iterations of this run, what each one does and where it ends.
"""
from typing import Iterable, List, Optional, Tuple

from mmengine.optim.scheduler import _ParamScheduler

_DETAILS = {
    'LinearLR': ('start_factor', 'end_factor'),
    'LinearParamScheduler': ('start_factor', 'end_factor'),
    'CosineAnnealingLR': ('T_max', 'eta_min', 'eta_min_ratio'),
    'CosineAnnealingParamScheduler': ('T_max', 'eta_min', 'eta_min_ratio'),
    'MultiStepLR': ('milestones', 'gamma'),
    'StepLR': ('step_size', 'gamma'),
    'ExponentialLR': ('gamma',),
    'PolyLR': ('eta_min', 'power'),
    'ConstantLR': ('factor',),
}


def _span(s: _ParamScheduler, max_iters: int, iters_per_epoch: int) -> Tuple[int, int]:
    """[begin, end) of a built scheduler in its own unit (epochs or iterations), the end
    capped at the run's length."""
    cap = max_iters // max(iters_per_epoch, 1) if s.by_epoch else max_iters
    return int(s.begin), int(min(s.end, cap))


def describe_schedule(schedulers: Iterable[_ParamScheduler], max_iters: int,
                      iters_per_epoch: int = 0) -> str:
    """One line: every scheduler's parameter, span and its own settings. ``iters_per_epoch``
    is 0 for an iteration-based loop."""
    parts: List[str] = []
    for s in schedulers:
        begin, end = _span(s, max_iters, iters_per_epoch)
        details = []
        for key in _DETAILS.get(type(s).__name__, ()):
            value = getattr(s, key, None)
            if value is not None:
                value = sorted(value) if key == 'milestones' else value  # a Counter
                details.append(f'{key}={value:g}' if isinstance(value, float)
                               else f'{key}={value}')
        unit = 'epochs' if s.by_epoch else 'iterations'
        parts.append(f'{type(s).__name__}({s.param_name}) {unit} {begin}-{end}'
                     + (f' [{", ".join(details)}]' if details else ''))
    run = f'{max_iters} iterations'
    if iters_per_epoch:
        run += f' ({max_iters // iters_per_epoch} epochs x {iters_per_epoch})'
    return f'parameter schedule over {run}: ' + ('; '.join(parts) if parts else 'none')


def schedule_gap(schedulers: Iterable[_ParamScheduler], max_iters: int,
                 iters_per_epoch: int = 0) -> Optional[str]:
    """A warning when no scheduler reaches the last iteration of the run (the rest trains
    at a constant value), else None."""
    ends = [int(s.end) * (iters_per_epoch if s.by_epoch else 1) for s in schedulers
            if not s.by_epoch or iters_per_epoch]
    if not ends or max(ends) >= max_iters:
        return None
    last = max(ends)
    return (f'the parameter schedule ends at iteration {last} of {max_iters}: the last '
            f'{max_iters - last} iterations train at a constant learning rate. Leave `end` / '
            f'`T_max` out of the scheduler configs so that they follow train_cfg.max_epochs')


def long_warmup(schedulers: Iterable[_ParamScheduler], max_iters: int,
                share: float = 0.25) -> Optional[str]:
    """A warning when an iteration-based linear warm-up (start_factor < 1) covers more than
    ``share`` of the run: warm-ups are set in iterations because they depend on the optimiser
    and batch, not on the run's length, so a short run can be mostly warm-up."""
    for s in schedulers:
        if type(s).__name__ == 'LinearLR' and not s.by_epoch and s.start_factor < 1.0:
            length = min(int(s.end), max_iters) - int(s.begin)
            if length > share * max_iters:
                return (f'the LinearLR warm-up covers iterations {int(s.begin)}-'
                        f'{min(int(s.end), max_iters)} of a {max_iters}-iteration run; '
                        f'shorten it (param_scheduler[...].end) for a short run')
    return None

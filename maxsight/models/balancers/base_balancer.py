"""Task balancers: how the per-task losses become one update.

Every balancer has the same interface: ``train_step(model, losses, optim_wrapper)`` turns
the head's loss dict into a parameter update (through the optim wrapper, so gradient
accumulation, clipping and AMP keep working) and returns the values to log, including
``task_weight/<task>`` for balancers whose weights change (no "loss" in the key, so they
are logged, not summed).

:meth:`TaskBalancer.guarded_step` is what the detector calls: an update with a non-finite
task loss is skipped there (parameters, buffers and optimiser state stay as they were) and
reported under ``BAD_STEP_KEY`` in the message hub, which ``StabilityHook`` reads.

Losses are grouped into tasks by name (``tasks`` maps task -> loss names); an auxiliary
loss ``aux_<name>`` belongs to the task of ``<name>``; losses not named in any group form a
task of their own.
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

#: message-hub info key: the tasks (or 'gradient') whose non-finite values skipped this
#: iteration's update
BAD_STEP_KEY = 'stability/bad_tasks'


def report_bad_step(tasks: List[str]) -> None:
    """Record that this iteration's update was skipped because of ``tasks``."""
    hub = MessageHub.get_current_instance()
    hub.update_info(BAD_STEP_KEY, list(hub.get_info(BAD_STEP_KEY) or []) + list(tasks))


def nonfinite_losses(losses: Dict[str, Tensor]) -> List[str]:
    """Names of the losses (keys containing 'loss') that are NaN or infinite."""
    return [k for k, v in losses.items() if 'loss' in k and not torch.isfinite(v).all()]

DEFAULT_TASKS = {
    'cls': ['loss_cls', 'loss_obj'],
    'box': ['loss_bbox', 'loss_giou'],
    'distance': ['loss_zone', 'loss_distance'],
    'urgency': ['loss_urgency', 'loss_scene', 'loss_beside'],
}


class TaskBalancer(nn.Module):
    """Base class: grouping and logging; subclasses implement ``train_step``."""

    #: buffers whose size is set on the first step (adopted from a checkpoint on load)
    lazy_buffers: Tuple[str, ...] = ()

    def __init__(self, tasks: Optional[Dict[str, List[str]]] = None):
        super().__init__()
        self.tasks = {k: list(v) for k, v in (tasks or DEFAULT_TASKS).items()}

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in self.lazy_buffers:
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def task_losses(self, losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Sum each task's losses; unknown loss names become their own task."""
        grouped: Dict[str, Tensor] = {}
        known = {name: task for task, names in self.tasks.items() for name in names}
        for name, value in losses.items():
            if 'loss' not in name:
                continue
            value = sum(value) if isinstance(value, (list, tuple)) else value
            base = name[len('aux_'):] if name.startswith('aux_') else name
            task = known.get(base, known.get(name, name))
            grouped[task] = grouped[task] + value if task in grouped else value
        return grouped

    @staticmethod
    def log_vars(losses: Dict[str, Tensor], weights: Optional[Dict[str, float]] = None
                 ) -> Dict[str, Tensor]:
        """The losses, their sum and ``task_weight/<task>`` for weights that change during
        training (None: constant weights, which would only repeat the config in the log)."""
        out = {k: v.detach() for k, v in losses.items() if 'loss' in k}
        out['loss'] = sum(out.values())
        for task, w in (weights or {}).items():
            out[f'task_weight/{task}'] = torch.as_tensor(float(w))
        return out

    def train_step(self, model: nn.Module, losses: Dict[str, Tensor],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        raise NotImplementedError

    def guarded_step(self, model: nn.Module, losses: Dict[str, Tensor],
                     optim_wrapper: OptimWrapper, buffers: Dict[str, Tensor]
                     ) -> Dict[str, Tensor]:
        """:meth:`train_step`, unless a task loss is not finite: then no update, the model's
        ``buffers`` (BN statistics etc., taken before the forward) are put back, the step is
        reported and the finite losses are returned for logging."""
        bad = nonfinite_losses(losses)
        if not bad:
            return self.train_step(model, losses, optim_wrapper)
        report_bad_step(bad)
        optim_wrapper.zero_grad()
        for name, buffer in model.named_buffers():
            buffer.copy_(buffers[name])
        return {k: v.detach() for k, v in losses.items() if k not in bad and 'loss' in k}

    @staticmethod
    def weighted_total(task_losses: Dict[str, Tensor], weights: Dict[str, float]) -> Tensor:
        """``sum_t weights[t] * L_t``, weight 1 for tasks not in ``weights``."""
        return sum(weights.get(t, 1.0) * v for t, v in task_losses.items())

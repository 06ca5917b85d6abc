"""DistributedDataParallel wrapper that keeps MaxSight's task balancers in charge."""
import torch
from mmengine.model import MMDistributedDataParallel

from ..registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class MaxSightDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper, except that ``train_step`` runs the wrapped detector's
    balanced step (forward through DDP, so gradients are averaged across processes; the
    balancer decides the update), instead of summing the losses itself. Without a GPU the
    module stays on the CPU (``device_ids=None``, gloo)."""

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        if not torch.cuda.is_available():
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        super().__init__(module=module, detect_anomalous_params=detect_anomalous_params,
                         **kwargs)

    def train_step(self, data, optim_wrapper):
        return self.module.balanced_step(self, data, optim_wrapper)

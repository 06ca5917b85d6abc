"""Parameters and FLOPs per image of a config's model, by module
(``tools/analysis_tools/get_flops.py``).

FLOPs are counted by torch.utils.flop_counter (matmuls and convolutions: 2 x MACs) for one
forward pass of one validation image (or one clip, divided by its frames) at the config's
test resolution, through the whole model (inference: head and post-processing excluded).
"""
from collections import defaultdict

from mmengine.config import Config
from torch.utils.flop_counter import FlopCounterMode

from ..registry import MODELS
from ..utils.config_preparation import preload_batches


def count(cfg: Config, depth: int = 1) -> dict:
    """``{'params': {module: n}, 'flops': {module: n}, 'frames': T, 'input': (h, w)}``."""
    batch = preload_batches(cfg.val_dataloader, 1, batch_size=1)[0]
    model = MODELS.build(cfg.model).eval()
    data = model.data_preprocessor(batch, training=False)
    frames = int(data['inputs'].shape[0])
    params = defaultdict(int)
    for name, p in model.named_parameters():
        params['.'.join(name.split('.')[:depth])] += p.numel()
    counter = FlopCounterMode(display=False, depth=depth + 1)
    with counter:  # grad mode on: keeps nn.Transformer off its fused (uncounted) fast path
        model(**data, mode='tensor')
    flops = {}
    root = type(model).__name__ + '.'
    for module, ops in counter.get_flop_counts().items():
        if module.startswith(root):
            name = module[len(root):]
            if name.count('.') < depth:
                flops[name] = sum(ops.values()) / frames
    return dict(params=dict(params), flops=flops, frames=frames,
                total_flops=counter.get_total_flops() / frames,
                input=tuple(data['inputs'].shape[-2:]))

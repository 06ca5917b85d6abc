"""Parameters and FLOPs per image of a config's model, by module.

python tools/analysis_tools/get_flops.py CONFIG [--depth 1] [--cfg-options ...]

FLOPs are counted by torch.utils.flop_counter (matmuls and convolutions: 2 x MACs) for one
forward pass of one validation image (or one clip, divided by its frames) at the config's
test resolution, through the whole model (inference: head and post-processing excluded).
"""
import argparse
import os.path as osp
import sys
from collections import defaultdict

from mmengine.config import Config, DictAction
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.registry import MODELS  # noqa: E402
from maxsight.utils import load_config, preload_batches, prepare_config  # noqa: E402


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


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--depth', type=int, default=1, help='module name depth to group by')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    prepare_config(cfg, splits=('val',))
    res = count(cfg, args.depth)
    print(f'input {res["input"][0]}x{res["input"][1]} (padded), per image'
          + (f' (clip of {res["frames"]} frames / {res["frames"]})' if res['frames'] > 1 else ''))
    print(f'{"module":28s} {"params":>10s} {"GFLOPs":>8s}')
    for name in sorted(set(res['params']) | set(res['flops'])):
        print(f'{name:28s} {res["params"].get(name, 0):10,d} '
              f'{res["flops"].get(name, 0) / 1e9:8.3f}')
    print(f'{"total":28s} {sum(res["params"].values()):10,d} {res["total_flops"] / 1e9:8.3f}')
    return res


if __name__ == '__main__':
    main()

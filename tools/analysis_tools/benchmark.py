"""Speed, memory and compute efficiency of a MaxSight config against a standard peer,
measured in one run on the same data and image size.

python tools/analysis_tools/benchmark.py CONFIG [--iters 20] [--warmup 3]
    [--peer fcos|none] [--out bench.json] [--cfg-options k=v ...]

For MaxSight (CONFIG) and the peer (torchvision FCOS, ResNet-18 FPN backbone, trained
from scratch: no pretrained weights) it prints: train img/s (the config's batch size),
inference img/s at batch 1 and 8, peak memory (CUDA: allocated; CPU: the process's peak
resident set, reset before each phase), training FLOPs per image (forward + backward, by
torch's FLOP counter) and the achieved training FLOP/s as a fraction of this machine's
fp32 matmul peak, measured first by the script. Then the MaxSight / peer ratios.
Timings are medians over --iters steps after --warmup steps; both models see the same
pre-loaded batches, so data loading is not timed.
"""
import argparse
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict

import torch
from mmengine.config import DictAction
from mmengine.optim import build_optim_wrapper
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.evaluation.metrics.coco_metric import write_json_atomic  # noqa: E402
from maxsight.models.peers import fcos_resnet18_fpn, peer_inputs  # noqa: E402
from maxsight.registry import MODELS  # noqa: E402
from maxsight.utils import load_config, preload_batches, prepare_config  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def matmul_peak_flops(device: torch.device, n: int = 2048, reps: int = 10) -> float:
    """Best fp32 matmul FLOP/s of ``reps`` n x n x n products on ``device``."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    best = 0.0
    for _ in range(reps + 2):
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start))
    return best


def _reset_peak(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets VmHWM (the peak resident set) on Linux
    except OSError:
        pass


def _peak_mb(device: torch.device) -> float:
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_seconds(fn: Callable[[int], None], iters: int, warmup: int,
                    device: torch.device) -> float:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(iters):
        _sync(device)
        start = time.perf_counter()
        fn(warmup + i)
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _flops(fn: Callable[[], None]) -> float:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return float(counter.get_total_flops())


def measure(name: str, train_step: Callable[[int], None], infer: Callable[[int], None],
            batch_size: int, iters: int, warmup: int, device: torch.device,
            peak: float) -> Dict[str, float]:
    """Train and inference figures of one model (see the module docstring)."""
    _reset_peak(device)
    step_s = _median_seconds(train_step, iters, warmup, device)
    train_peak = _peak_mb(device)
    flops_per_img = _flops(lambda: train_step(0)) / batch_size
    row = dict(train_img_s=batch_size / step_s, train_peak_mb=train_peak,
               train_gflops_per_img=flops_per_img / 1e9)
    row['train_flops_fraction_of_peak'] = flops_per_img * row['train_img_s'] / peak
    for bs in (1, 8):
        _reset_peak(device)
        with torch.no_grad():
            s = _median_seconds(lambda i: infer(bs), iters, warmup, device)
        row[f'infer_img_s_b{bs}'] = bs / s
        row[f'infer_peak_mb_b{bs}'] = _peak_mb(device)
    print(f'{name}: ' + ', '.join(f'{k} {v:.4g}' for k, v in row.items()), flush=True)
    return row


def maxsight_fns(cfg, batches, device):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)

    def train_step(i: int) -> None:
        model.train()
        model.train_step(batches[i % len(batches)], optim)

    images = [b for batch in batches for b in batch['inputs']]
    samples = [s for batch in batches for s in batch['data_samples']]

    def infer(bs: int) -> None:
        model.eval()
        model.test_step(dict(inputs=images[:bs], data_samples=samples[:bs]))
    return train_step, infer


def fcos_fns(num_classes: int, batches, device, lr: float):
    torch.manual_seed(0)
    first = batches[0]['inputs'][0]
    model = fcos_resnet18_fpn(num_classes, tuple(first.shape[-2:])).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)

    peer_batches = [peer_inputs(b, device) for b in batches]

    def train_step(i: int) -> None:
        model.train()
        imgs, targets = peer_batches[i % len(peer_batches)]
        loss = sum(model(imgs, targets).values())
        optim.zero_grad()
        loss.backward()
        optim.step()

    images = [x for imgs, _ in peer_batches for x in imgs]

    def infer(bs: int) -> None:
        model.eval()
        model(images[:bs])
    return train_step, infer


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--peer', choices=['fcos', 'none'], default='fcos')
    parser.add_argument('--out', help='write the figures as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    prepare_config(cfg, splits=('train',))
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    batch_size = int(cfg.train_dataloader.batch_size)
    batches = preload_batches(cfg.train_dataloader, max(8 // batch_size, 2))
    peak = matmul_peak_flops(device)
    print(f'device {device}, threads {torch.get_num_threads()}, fp32 matmul peak '
          f'{peak / 1e9:.1f} GFLOP/s', flush=True)
    results = dict(device=str(device), matmul_peak_gflops=peak / 1e9,
                   batch_size=batch_size, config=args.config)
    train, infer = maxsight_fns(cfg, batches, device)
    results['maxsight'] = measure('maxsight', train, infer, batch_size, args.iters,
                                  args.warmup, device, peak)
    if args.peer == 'fcos':
        num_classes = int(cfg.model.bbox_head.num_classes)
        lr = float(cfg.optim_wrapper.optimizer.get('lr', 1e-3))
        train, infer = fcos_fns(num_classes, batches, device, lr)
        results['fcos_r18'] = measure('fcos_r18', train, infer, batch_size, args.iters,
                                      args.warmup, device, peak)
        ratios = {k: results['maxsight'][k] / results['fcos_r18'][k]
                  for k in results['maxsight'] if results['fcos_r18'][k]}
        results['ratio_maxsight_over_fcos'] = ratios
        print('maxsight / fcos_r18: ' + ', '.join(f'{k} {v:.3g}' for k, v in ratios.items()))
    if args.out:
        write_json_atomic(args.out, results, indent=2)
    return results


if __name__ == '__main__':
    run_tool(main)

"""The set-up the benchmark tools share: a prepared config, a trainable model on
pre-loaded batches, and the timing, memory and FLOP counters they report with."""
import statistics
import time
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from torch.utils.flop_counter import FlopCounterMode

from ..registry import MODELS
from ..utils.config_preparation import load_config, prepare_config


def load_prepared(config: str, cfg_options: Optional[dict] = None,
                  splits: Sequence[str] = ('train',)) -> Config:
    """``config`` with ``cfg_options`` merged and the data-level preparation applied for
    the dataloaders of ``splits`` (embedded data generated, class count filled)."""
    from .. import register_all_modules
    register_all_modules()
    cfg = load_config(config, cfg_options)
    return prepare_config(cfg, splits=splits)


def build_trainable(cfg: Config, device: Optional[torch.device] = None
                    ) -> Tuple[torch.nn.Module, OptimWrapper]:
    """``cfg``'s model (seed 0) in train mode on ``device`` and its optim wrapper."""
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device or 'cpu').train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def best_device() -> torch.device:
    """CUDA when there is a GPU, else the CPU."""
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def processor_name(device: torch.device, cpuinfo: str = '/proc/cpuinfo') -> str:
    """The processor a figure was measured on: the GPU's name, or the CPU's model name with
    its family and model numbers and widest vector instructions (two machines sold under
    one name, e.g. "AMD EPYC", differ in vector width and so in peak). '' if unknown."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        return ''
    fields: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        if sep and key.strip() not in fields:  # the first processor speaks for all
            fields[key.strip()] = value.strip()
    flags = set(fields.get('flags', '').split())
    vector = next((name for flag, name in (('avx512f', 'AVX-512'), ('avx2', 'AVX2'),
                                           ('avx', 'AVX')) if flag in flags), '')
    parts = [fields.get('model name', '')]
    if 'cpu family' in fields:
        parts.append(f"family {fields['cpu family']} model {fields.get('model', '?')}")
    return ', '.join(p for p in parts + [vector] if p)


def sync(device: torch.device) -> None:
    """Wait for ``device``'s queued work (CUDA), so a timer measures it."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _best_rate(fn: Callable[[], None], flops: float, reps: int,
               device: torch.device) -> float:
    best = 0.0
    for _ in range(reps + 2):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        best = max(best, flops / (time.perf_counter() - start))
    return best


def matmul_peak_flops(device: torch.device, n: int = 2048, reps: int = 10) -> float:
    """Best fp32 matmul FLOP/s of ``reps`` n x n x n products on ``device``."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    return _best_rate(lambda: torch.mm(a, b), 2 * n ** 3, reps, device)


def conv_peak_flops(device: torch.device, channels: int = 256, size: int = 48,
                    batch: int = 8, reps: int = 6) -> float:
    """Best fp32 FLOP/s of a 3x3, ``channels`` -> ``channels`` channels-last convolution
    on [batch, channels, size, size] (2 x multiply-adds of the direct algorithm)."""
    conv = torch.nn.Conv2d(channels, channels, 3, padding=1, bias=False).to(device)
    conv = conv.to(memory_format=torch.channels_last)
    x = torch.randn(batch, channels, size, size, device=device)
    x = x.to(memory_format=torch.channels_last)
    flops = 2 * batch * channels * channels * 9 * size * size
    with torch.no_grad():
        return _best_rate(lambda: conv(x), flops, reps, device)


def fp32_peak_flops(device: torch.device) -> Dict[str, float]:
    """This machine's fp32 peak as the libraries reach it: ``matmul`` (torch.mm), on the
    CPU also ``conv`` (oneDNN's direct 3x3 convolution), and ``peak``, the larger.

    Why both on the CPU: MKL's matmul runs its AVX2 code on AMD processors, about half of
    what their AVX-512 units do, while oneDNN (which runs the models' convolutions) uses
    them; a fraction of the matmul rate alone then exceeds 1 for a wide model. On CUDA
    only the matmul counts (cuDNN may pick Winograd or FFT, doing fewer FLOPs than
    counted)."""
    rates = dict(matmul=matmul_peak_flops(device))
    if device.type == 'cpu':
        rates['conv'] = conv_peak_flops(device)
    rates['peak'] = max(rates.values())
    return rates


def reset_peak_memory(device: torch.device) -> None:
    """Reset the peak-memory counter that :func:`peak_memory_mb` reads."""
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets VmHWM (the peak resident set) on Linux
    except OSError:
        pass


def peak_memory_mb(device: torch.device) -> float:
    """MiB: CUDA's peak allocated memory, else the process's peak resident set."""
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


def median_seconds(fn: Callable[[int], None], iters: int, warmup: int,
                   device: torch.device) -> float:
    """Median wall time of ``fn(i)`` over ``iters`` calls after ``warmup`` calls."""
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(iters):
        sync(device)
        start = time.perf_counter()
        fn(warmup + i)
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def count_flops(fn: Callable[[], None]) -> float:
    """FLOPs of one call of ``fn`` by torch's FLOP counter (2 x MACs)."""
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return float(counter.get_total_flops())

"""Speed, memory and compute efficiency of a MaxSight config against a standard peer,
measured in one run on the same data and image size.

What ``tools/analysis_tools/benchmark.py CONFIG`` runs (:func:`run_benchmark`).

For MaxSight (CONFIG) and the peer (torchvision FCOS, ResNet-18 FPN backbone, trained
from scratch: no pretrained weights) it prints: train img/s (the config's batch size),
inference img/s at batch 1 and 8, peak memory (CUDA: allocated; CPU: the process's peak
resident set, reset before each phase), training FLOPs per image (forward + backward, by
torch's FLOP counter) and the achieved training FLOP/s as a fraction of this machine's
fp32 peak, measured first by the script: the better of a large matmul and (on the CPU) a
large direct 3x3 convolution (:func:`~maxsight.analysis.common.fp32_peak_flops` says why).
Then the MaxSight / peer ratios.
Timings are medians over --iters steps after --warmup steps; both models see the same
pre-loaded batches, so data loading is not timed. For a clip config (T5) an image is a
frame: a batch of B clips of T frames counts B * T images, inference runs 1 and 8 clips,
and the peer sees the same frames as single images.
"""
import copy
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from ..models.peers import fcos_resnet18_fpn, peer_inputs
from ..utils.config_preparation import preload_batches
from .common import (best_device, build_trainable, count_flops, fp32_peak_flops,
                     median_seconds, peak_memory_mb, processor_name,
                     reset_peak_memory)


def frames_per_item(batch: dict) -> int:
    """Images per item of a packed batch: T of a clip batch (``inputs`` [T, C, H, W] per
    clip, with ``padding_mask``), 1 of an image batch."""
    return len(batch['inputs'][0]) if 'padding_mask' in batch else 1


def as_frames(batch: dict) -> dict:
    """A packed clip batch as an image batch of its frames (clip-major); an image batch
    as it is."""
    if 'padding_mask' not in batch:
        return batch
    return dict(inputs=[f for clip in batch['inputs'] for f in clip],
                data_samples=[s for clip in batch['data_samples'] for s in clip])


def measure(name: str, train_step: Callable[[int], None], infer: Callable[[int], None],
            batch_size: int, iters: int, warmup: int, device: torch.device,
            peak: float, frames: int = 1) -> Dict[str, float]:
    """Train and inference figures of one model (see the module docstring); ``frames``:
    images per item (clip length, 1 for images), so every rate is in images (frames) /s."""
    reset_peak_memory(device)
    step_s = median_seconds(train_step, iters, warmup, device)
    train_peak = peak_memory_mb(device)
    flops_per_img = count_flops(lambda: train_step(0)) / (batch_size * frames)
    row = dict(train_img_s=batch_size * frames / step_s, train_peak_mb=train_peak,
               train_gflops_per_img=flops_per_img / 1e9)
    row['train_flops_fraction_of_peak'] = flops_per_img * row['train_img_s'] / peak
    for bs in (1, 8):
        reset_peak_memory(device)
        with torch.no_grad():
            s = median_seconds(lambda i: infer(bs), iters, warmup, device)
        row[f'infer_img_s_b{bs}'] = bs * frames / s
        row[f'infer_peak_mb_b{bs}'] = peak_memory_mb(device)
    print(f'{name}: ' + ', '.join(f'{k} {v:.4g}' for k, v in row.items()), flush=True)
    return row


def maxsight_fns(cfg: Config, batches: List[dict], device: torch.device):
    """``(train_step(i), infer(batch_size))`` of ``cfg``'s model on ``batches``."""
    model, optim = build_trainable(cfg, device)

    def train_step(i: int) -> None:
        model.train()
        model.train_step(batches[i % len(batches)], optim)

    # items: images, or clips with their per-clip sample lists and padding masks
    pooled = {key: [item for batch in batches for item in batch[key]]
              for key in ('inputs', 'data_samples', 'padding_mask') if key in batches[0]}

    def infer(bs: int) -> None:
        model.eval()
        model.test_step({key: items[:bs] for key, items in pooled.items()})
    return train_step, infer


def fcos_fns(num_classes: int, batches: List[dict], device: torch.device, lr: float):
    """The same pair for torchvision's FCOS ResNet-18 FPN (from scratch, AdamW at ``lr``);
    a clip batch's frames are its images."""
    torch.manual_seed(0)
    first = as_frames(batches[0])['inputs'][0]
    model = fcos_resnet18_fpn(num_classes, tuple(first.shape[-2:])).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)

    peer_batches = [peer_inputs(as_frames(b), device) for b in batches]

    def train_step(i: int) -> None:
        model.train()
        imgs, targets = peer_batches[i % len(peer_batches)]
        loss = sum(model(imgs, targets).values())
        optim.zero_grad()
        loss.backward()
        optim.step()

    images = [x for imgs, _ in peer_batches for x in imgs]
    frames = frames_per_item(batches[0])

    def infer(bs: int) -> None:  # bs items: bs clips are bs * frames images
        model.eval()
        model(images[:bs * frames])
    return train_step, infer


def with_backbone(cfg: Config, arch: str) -> Config:
    """A copy of ``cfg`` whose model has torchvision backbone ``arch`` (stages 1-3, no
    pretrained file: speed does not depend on the weights) and a neck to match."""
    from ..models.backbones import ARCHITECTURES
    if arch not in ARCHITECTURES:
        raise ValueError(f'--backbones: unknown {arch!r}; choose from {", ".join(ARCHITECTURES)}')
    out = copy.deepcopy(cfg)
    out.model.backbone = dict(type='TorchvisionBackbone', arch=arch, out_indices=(1, 2, 3))
    out.model.neck.in_channels = list(ARCHITECTURES[arch][2][1:])
    return out


def run_benchmark(cfg: Config, iters: int = 20, warmup: int = 3, peer: str = 'fcos',
                  name: str = '', backbones: Sequence[str] = (),
                  changed: Optional[Config] = None) -> Dict:
    """Every figure of the module docstring for prepared ``cfg`` (and the peer unless
    ``peer='none'``), with the MaxSight / peer ratios; ``backbones``: the same figures for
    ``cfg`` with each torchvision backbone (``maxsight_<arch>``); ``changed``: the same
    figures for a changed copy of ``cfg`` (``maxsight_changed``) and its ratios to ``cfg``
    (``ratio_changed_over_config``), a change's before / after from one run."""
    variants = {arch: with_backbone(cfg, arch) for arch in backbones}  # names checked first
    device = best_device()
    batch_size = int(cfg.train_dataloader.batch_size)
    batches = preload_batches(cfg.train_dataloader, max(8 // batch_size, 2))
    frames = frames_per_item(batches[0])
    rates = fp32_peak_flops(device)
    peak = rates['peak']
    processor = processor_name(device)
    print(f'device {device} ({processor}), threads {torch.get_num_threads()}, fp32 peak '
          f'{peak / 1e9:.1f} GFLOP/s (' + ', '.join(
              f'{k} {v / 1e9:.1f}' for k, v in rates.items() if k != 'peak') + ')',
          flush=True)
    results = dict(device=str(device), processor=processor, peak_gflops=peak / 1e9,
                   **{f'{k}_peak_gflops': v / 1e9 for k, v in rates.items() if k != 'peak'},
                   batch_size=batch_size, frames_per_item=frames,
                   config=name or cfg.filename)
    train, infer = maxsight_fns(cfg, batches, device)
    results['maxsight'] = measure('maxsight', train, infer, batch_size, iters, warmup,
                                  device, peak, frames)
    for arch in backbones:
        train, infer = maxsight_fns(variants[arch], batches, device)
        results[f'maxsight_{arch}'] = measure(f'maxsight_{arch}', train, infer, batch_size,
                                              iters, warmup, device, peak, frames)
    if changed is not None:
        train, infer = maxsight_fns(changed, batches, device)
        results['maxsight_changed'] = row = measure('maxsight_changed', train, infer,
                                                    batch_size, iters, warmup, device, peak,
                                                    frames)
        results['ratio_changed_over_config'] = {
            k: row[k] / results['maxsight'][k] for k in row if results['maxsight'][k]}
        print('changed / config: ' + ', '.join(
            f'{k} {v:.3g}' for k, v in results['ratio_changed_over_config'].items()))
    if peer == 'fcos':
        num_classes = int(cfg.model.bbox_head.num_classes)
        lr = float(cfg.optim_wrapper.optimizer.get('lr', 1e-3))
        train, infer = fcos_fns(num_classes, batches, device, lr)
        results['fcos_r18'] = measure('fcos_r18', train, infer, batch_size, iters, warmup,
                                      device, peak, frames)
        ratios = {k: results['maxsight'][k] / results['fcos_r18'][k]
                  for k in results['maxsight'] if results['fcos_r18'][k]}
        results['ratio_maxsight_over_fcos'] = ratios
        print('maxsight / fcos_r18: ' + ', '.join(f'{k} {v:.3g}' for k, v in ratios.items()))
    return results

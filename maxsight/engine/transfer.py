"""Tier-to-tier transfer: copy every shape-compatible weight of a checkpoint into a model."""
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from ..checkpoint_io import safe_load_checkpoint


def module_group(key: str, depth: int = 2) -> str:
    """The module a parameter belongs to, for reports: its first ``depth`` name parts."""
    parts = key.split('.')
    return '.'.join(parts[:min(depth, len(parts) - 1)]) or parts[0]


def transfer_state(src: Dict[str, torch.Tensor], model: nn.Module
                   ) -> Tuple[Dict[str, List[str]], int]:
    """Load into ``model`` every entry of ``src`` whose name and shape match; returns
    ``({'transferred'|'new'|'mismatched'|'unused': [keys]}, copied element count)``."""
    dst = model.state_dict()
    report = {'transferred': [], 'new': [], 'mismatched': [], 'unused': []}
    new_state, copied = OrderedDict(), 0
    for key, value in dst.items():
        if key in src and tuple(src[key].shape) == tuple(value.shape):
            new_state[key] = src[key].to(value.dtype)
            report['transferred'].append(key)
            copied += value.numel()
        elif key in src:
            report['mismatched'].append(key)
        else:
            report['new'].append(key)
    report['unused'] = [k for k in src if k not in dst]
    model.load_state_dict(new_state, strict=False)
    return report, copied


def format_report(report: Dict[str, List[str]]) -> str:
    """Per-module table: how many tensors were transferred / new / shape-mismatched."""
    table = defaultdict(lambda: defaultdict(int))
    for status in ('transferred', 'new', 'mismatched'):
        for key in report[status]:
            table[module_group(key)][status] += 1
    lines = [f'{"module":32s} {"transferred":>11s} {"new":>5s} {"mismatched":>10s}']
    for group in sorted(table):
        row = table[group]
        lines.append(f'{group:32s} {row["transferred"]:11d} {row["new"]:5d} '
                     f'{row["mismatched"]:10d}')
    total = {s: len(report[s]) for s in ('transferred', 'new', 'mismatched', 'unused')}
    lines.append(f'{"total":32s} {total["transferred"]:11d} {total["new"]:5d} '
                 f'{total["mismatched"]:10d}  ({total["unused"]} source tensors unused)')
    for key in report['mismatched']:
        lines.append(f'  shape mismatch: {key}')
    return '\n'.join(lines)


def transfer_checkpoint(path: str, model: nn.Module) -> Dict[str, List[str]]:
    """Safely load checkpoint ``path`` and transfer its state dict into ``model``."""
    ckpt = safe_load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    report, _ = transfer_state(state, model)
    if not report['transferred']:
        raise ValueError(f'{path}: no weight matches the model by name and shape; is it a '
                         'MaxSight checkpoint?')
    return report


def _self_sizing(key: str) -> bool:
    """Quantisation observer state: sized on the first forward, resized on load."""
    return 'activation_post_process' in key or 'fake_quant' in key


def _neutral_when_absent(model: nn.Module, key: str) -> bool:
    """``key`` is a tensor of a module that, at its initialisation, computes what the
    model did before the module existed (class attribute ``neutral_at_init``, e.g. T1's
    ``AttentionPool`` starts as the mean): a checkpoint from before it loads exactly."""
    parts = key.split('.')
    for i in range(1, len(parts)):
        try:
            module = model.get_submodule('.'.join(parts[:i]))
        except AttributeError:
            return False
        if getattr(module, 'neutral_at_init', False):
            return True
    return False


def check_same_architecture(checkpoint: Union[str, dict], model: nn.Module, config: str,
                            source: Optional[str] = None, resume: bool = False) -> None:
    """Raise ``ValueError`` unless ``checkpoint`` (a path, or an already loaded checkpoint
    named ``source``) holds exactly ``model``'s tensors (names and shapes; state that takes
    its size from what it loads is excepted: the balancer's per-task buffers and
    quantisation observers / fake-quantisers).

    Loading a checkpoint of another tier or width would otherwise leave part of the model
    at its random initialisation, silently (mmengine loads non-strictly). Tensors of
    modules that start neutral (:func:`_neutral_when_absent`) may be missing, unless
    ``resume``: the optimiser's saved state would not fit the model's parameters."""
    if isinstance(checkpoint, str):
        path, ckpt = checkpoint, safe_load_checkpoint(checkpoint, map_location='cpu')
    else:
        path, ckpt = source or 'the checkpoint', checkpoint
    src = ckpt.get('state_dict', ckpt)
    dst = model.state_dict()
    # checkpoints from before the FiLM kept its record of trained conditions lack it
    missing = [k for k in dst if k not in src and not k.endswith('condition_film.trained')
               and (resume or not _neutral_when_absent(model, k))]
    unexpected = [k for k in src if k not in dst]
    mismatched = [k for k in dst if k in src and dst[k].numel() > 0
                  and not _self_sizing(k) and tuple(src[k].shape) != tuple(dst[k].shape)]
    if not (missing or unexpected or mismatched):
        return

    def modules(keys: List[str]) -> str:
        groups = sorted({module_group(k) for k in keys})
        return ', '.join(groups[:4]) + (', ...' if len(groups) > 4 else '')
    parts = [f'{len(v)} {name} ({modules(v)})' for name, v in (
        ('missing', missing), ('unexpected', unexpected), ('shape-mismatched', mismatched))
        if v]
    raise ValueError(
        f'{path} does not match the model of {config}: {"; ".join(parts)} tensors. It was '
        'trained with another tier, width or version of the model: evaluate it with its '
        'own config, or grow it into this one with tools/transfer.py (or load_from= in the '
        'config)')


def load_same_architecture(checkpoint: Union[str, dict], model: nn.Module, config: str,
                           source: Optional[str] = None) -> None:
    """:func:`check_same_architecture`, then load the checkpoint's weights into ``model``
    (a path is read once)."""
    if isinstance(checkpoint, str):
        source, checkpoint = checkpoint, safe_load_checkpoint(checkpoint, map_location='cpu')
    check_same_architecture(checkpoint, model, config, source)
    model.load_state_dict(checkpoint.get('state_dict', checkpoint), strict=False)


def transfer_to_new_checkpoint(src_ckpt: str, cfg, out: str, source_name: str = ''
                               ) -> Tuple[Dict[str, List[str]], int, int]:
    """Build ``cfg``'s model (seed 0; ``num_classes`` from the source checkpoint's
    ``dataset_meta`` when the config leaves it None), transfer ``src_ckpt`` into it and
    save the result atomically to ``out`` (refused when ``out`` exists). Returns the
    report, the copied and the total element count."""
    import os.path as osp

    from ..registry import MODELS
    from .atomic_backend import save_checkpoint_atomic
    if osp.exists(out):
        raise FileExistsError(f'{out} exists; choose another --out (nothing written)')
    ckpt = safe_load_checkpoint(src_ckpt, map_location='cpu')
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    if cfg.model.bbox_head.get('num_classes') is None:
        if classes is None:
            raise ValueError(f'{src_ckpt} has no dataset_meta.classes; set '
                             'model.bbox_head.num_classes with --cfg-options')
        cfg.model.bbox_head.num_classes = len(classes)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    report, copied = transfer_state(ckpt.get('state_dict', ckpt), model)
    total = sum(v.numel() for v in model.state_dict().values())
    out_meta = dict(transferred_from=src_ckpt, dst_config=source_name or cfg.filename)
    if classes is not None:
        out_meta['dataset_meta'] = meta['dataset_meta']
    save_checkpoint_atomic(dict(state_dict=model.state_dict(), meta=out_meta), out)
    return report, copied, total

"""Batch collation for clip samples."""
from typing import List, Sequence

from ..registry import FUNCTIONS


@FUNCTIONS.register_module()
def clip_collate(batch: Sequence[dict]) -> dict:
    """Collate clip samples into lists without transposing them.

    mmengine's ``pseudo_collate`` transposes nested sequences, which would turn the
    per-clip lists of frame samples into per-frame lists across clips. Here the result is
    ``inputs``: [B] tensors [T, C, H, W], ``data_samples``: [B] lists of T samples,
    ``padding_mask``: [B] bool tensors [T], in clip order.
    """
    out: dict = {}
    for key in batch[0]:
        out[key] = [item[key] for item in batch]
    return out


__all__: List[str] = ['clip_collate']

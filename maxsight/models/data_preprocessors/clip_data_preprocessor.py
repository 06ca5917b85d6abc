"""Batch collation for clips (T5): [B, T, C, H, W] -> frames [B * T, C, H, W]."""
import torch

from ...registry import MODELS
from .det_data_preprocessor import DetDataPreprocessor


@MODELS.register_module()
class ClipDataPreprocessor(DetDataPreprocessor):
    """Flattens clip samples (``inputs`` [T, C, H, W], ``data_samples`` T per clip,
    ``padding_mask`` [T]; batched by ``clip_collate``) into clip-major frames, normalises and pads them like
    :class:`DetDataPreprocessor`, and returns ``padding_mask`` [B, T]. Plain image batches
    pass through with ``padding_mask`` [B, 1] of False."""

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if 'padding_mask' not in data:  # single images: clips of one frame
            out = super().forward(data, training)
            out['padding_mask'] = torch.zeros(len(out['inputs']), 1, dtype=torch.bool,
                                              device=out['inputs'].device)
            return out
        frames = [f for clip in inputs for f in clip]
        clips = data['data_samples']
        if len(clips) != len(inputs) or any(len(c) != len(x) for c, x in zip(clips, inputs)):
            raise ValueError('ClipDataPreprocessor: data_samples must hold one list of frame '
                             'samples per clip; use collate_fn=dict(type=\'maxsight.'
                             'clip_collate\') in the dataloader')
        samples = [s for clip in clips for s in clip]
        out = super().forward(dict(inputs=frames, data_samples=samples), training)
        out['padding_mask'] = torch.stack(list(data['padding_mask'])).to(out['inputs'].device)
        return out

"""Batch collation on the model side: normalise, pad to a common size, stack."""
from typing import Sequence, Union

from mmengine.model import ImgDataPreprocessor

from ...registry import MODELS


@MODELS.register_module()
class DetDataPreprocessor(ImgDataPreprocessor):
    """mmengine's :class:`ImgDataPreprocessor` (normalise with ``mean``/``std`` in 0-255 RGB,
    pad bottom/right to a multiple of ``pad_size_divisor``, stack) that also records the
    padded ``batch_input_shape`` (h, w) in every data sample's metainfo."""

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), pad_size_divisor: int = 32,
                 pad_value: Union[float, int] = 0, **kwargs):
        super().__init__(mean=mean, std=std, pad_size_divisor=pad_size_divisor,
                         pad_value=pad_value, **kwargs)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        shape = tuple(data['inputs'].shape[-2:])
        for sample in data.get('data_samples') or []:
            sample.set_metainfo(dict(batch_input_shape=shape))
        return data

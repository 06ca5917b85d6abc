"""Packing: arrays from the pipeline into ``inputs`` (tensor) + ``DetDataSample``."""
from typing import Any, Dict, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

from ...registry import TRANSFORMS
from ...structures import DetDataSample
from .loading import INSTANCE_FIELDS

DEFAULT_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                     'lighting', 'lighting_derived', 'scene_urgency', 'scene', 'condition',
                     'corruption', 'clip_id', 'frame_index', 'beside_hazard')


@TRANSFORMS.register_module()
class PackDetInputs:
    """Pack ``img`` as a uint8 tensor [3, H, W] and annotations as a ``DetDataSample``.

    Non-ignored objects go to ``gt_instances``; ``iscrowd`` objects to
    ``ignored_instances``.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        self.meta_keys = tuple(meta_keys)

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        img = results['img']
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = DetDataSample()
        if 'gt_bboxes' in results:
            ignore = results['gt_ignore_flags']
            keep = ~ignore
            gt = InstanceData()
            gt.bboxes = torch.from_numpy(results['gt_bboxes'][keep])
            gt.labels = torch.from_numpy(results['gt_labels'][keep])
            for key, _ in INSTANCE_FIELDS:
                gt[key] = torch.from_numpy(results[f'gt_{key}'][keep])
            sample.gt_instances = gt
            ignored = InstanceData()
            ignored.bboxes = torch.from_numpy(results['gt_bboxes'][ignore])
            ignored.labels = torch.from_numpy(results['gt_labels'][ignore])
            sample.ignored_instances = ignored
        if 'audio' in results:
            sample.set_field(torch.from_numpy(results['audio']), 'audio')
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'

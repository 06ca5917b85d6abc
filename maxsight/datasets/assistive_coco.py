"""Dataset over any COCO-format file with MaxSight's optional fields (DESIGN section 3)."""
from collections import defaultdict
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmengine.structures import InstanceData

from ..registry import DATASETS
from ..structures import DetDataSample
from ..value_checks import is_positive_int
from .coco_parsing import AnnotationError, parse_coco_file


@DATASETS.register_module()
class AssistiveCocoDataset(BaseDataset):
    """COCO detection dataset whose class list is read from the annotation file.

    Args:
        skip_invalid: drop malformed images/annotations (counted and logged) instead of
            raising :class:`~maxsight.datasets.coco_parsing.AnnotationError`.
        filter_empty_gt: in training, drop images without any non-ignored object.
        clip_length: clip mode (video, T5). Images are grouped by ``clip_id`` and ordered by
            ``frame_index``; clips are cut into windows of ``clip_length`` frames. A sample
            is ``inputs`` [T, 3, H, W], ``data_samples`` (T per-frame samples; padded frames
            have no objects) and ``padding_mask`` [T] (True = padded frame). All frames of
            a sample share the random decisions of the pipeline (e.g. the flip).
        Other arguments as :class:`mmengine.dataset.BaseDataset` (``data_root``,
        ``ann_file``, ``data_prefix=dict(img=...)``, ``pipeline``, ``test_mode``).

    ``metainfo`` gains ``classes`` (names, file order), ``cat_ids`` (the file's category id
    for each contiguous label) and ``hazard_priors``.
    """

    def __init__(self, *args, skip_invalid: bool = False, filter_empty_gt: bool = False,
                 clip_length: Optional[int] = None, **kwargs):
        if clip_length is not None and not is_positive_int(clip_length):
            raise ValueError(f'clip_length must be a positive int or None, got {clip_length!r}')
        self.skip_invalid = skip_invalid
        self.filter_empty_gt = filter_empty_gt
        self.clip_length = clip_length
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[Dict[str, Any]]:
        parsed = parse_coco_file(self.ann_file, self.data_prefix.get('img', ''),
                                 self.skip_invalid)
        self._metainfo.update(classes=parsed.classes, cat_ids=parsed.cat_ids,
                              hazard_priors=parsed.hazard_priors)
        if parsed.skipped:
            print_log(f'{self.ann_file}: skipped {len(parsed.skipped)} invalid records '
                      f'(skip_invalid=True); first: {parsed.skipped[0]}', logger='current',
                      level=30)
        if self.clip_length:
            return self._group_clips(parsed.data_list)
        return parsed.data_list

    def _group_clips(self, infos: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        clips = defaultdict(list)
        for info in infos:
            if info['clip_id'] is None:
                raise AnnotationError(f'{self.ann_file}: images[id={info["img_id"]}]: field '
                                      '"clip_id": clip mode (clip_length) needs clip_id and '
                                      'frame_index on every image')
            clips[info['clip_id']].append(info)
        out = []
        for clip_id in sorted(clips):
            frames = sorted(clips[clip_id], key=lambda f: f['frame_index'])
            for start in range(0, len(frames), self.clip_length):
                out.append(dict(clip_id=clip_id, frames=frames[start:start + self.clip_length]))
        return out

    def filter_data(self) -> List[Dict[str, Any]]:
        if self.test_mode or not self.filter_empty_gt or self.clip_length:
            return self.data_list
        return [info for info in self.data_list
                if any(not inst['ignore_flag'] for inst in info['instances'])]

    @property
    def num_frames(self) -> int:
        """Images in the dataset: real frames in clip mode (what metrics receive)."""
        if not self.clip_length:
            return len(self)
        return sum(len(self.get_data_info(i)['frames']) for i in range(len(self)))

    def get_cat_ids(self, idx: int) -> List[int]:
        """Contiguous labels of the objects in sample ``idx`` (for class-aware samplers)."""
        info = self.get_data_info(idx)
        frames = info['frames'] if self.clip_length else [info]
        return [inst['bbox_label'] for f in frames for inst in f['instances']]

    def prepare_data(self, idx: int) -> Any:
        if not self.clip_length:
            return super().prepare_data(idx)
        info = self.get_data_info(idx)
        state = np.random.get_state()
        outs = []
        for frame in info['frames']:
            np.random.set_state(state)  # same augmentation decisions for every frame
            out = self.pipeline(dict(frame, sample_idx=info['sample_idx']))
            if out is None:
                return None
            outs.append(out)
        pad = self.clip_length - len(outs)
        inputs = torch.stack([o['inputs'] for o in outs] +
                             [torch.zeros_like(outs[0]['inputs'])] * pad)
        samples = [o['data_samples'] for o in outs]
        for _ in range(pad):
            padded = DetDataSample(metainfo=dict(samples[-1].metainfo, padded=True))
            padded.gt_instances = _empty_like(samples[-1].gt_instances)
            padded.ignored_instances = _empty_like(samples[-1].ignored_instances)
            samples.append(padded)
        mask = torch.tensor([False] * len(outs) + [True] * pad)
        return dict(inputs=inputs, data_samples=samples, padding_mask=mask)


def _empty_like(instances: InstanceData) -> InstanceData:
    return instances[torch.zeros(len(instances), dtype=torch.bool)]

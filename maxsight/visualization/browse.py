"""Pictures of what the model is fed (``tools/analysis_tools/browse_dataset.py``): the
pipeline's output (after resize, flip, condition preprocessing and corruption),
un-normalised, exactly as the data preprocessor receives it, with the ground truth drawn."""
import os
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.config import Config
from PIL import Image

from ..registry import DATASETS
from ..utils.config_preparation import (apply_condition, ensure_embedded_dataset,
                                        insert_after_loading)
from .draw import draw_objects


def browse_dataset(cfg: Config, out_dir: str, split: str = 'train', num: int = 12,
                   condition: Optional[str] = None,
                   corruption: Optional[Tuple[str, int]] = None) -> List[str]:
    """Write the first ``num`` samples of ``split`` (every frame of a clip) as PNGs to
    ``out_dir``, optionally under a vision ``condition`` and a lighting ``corruption``
    (name, severity); returns the paths."""
    ensure_embedded_dataset(cfg, splits=(split,))
    if condition:
        apply_condition(cfg, condition, splits=(split,))
    ds_cfg = cfg[f'{split}_dataloader'].dataset
    if corruption:
        name, severity = corruption
        ds_cfg.pipeline = insert_after_loading(
            ds_cfg.pipeline, dict(type='LightingCorruption', name=name, severity=severity))
    dataset = DATASETS.build(ds_cfg)
    classes = dataset.metainfo['classes']
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for idx in range(min(num, len(dataset))):
        item = dataset[idx]
        frames = item['inputs'] if item['inputs'].dim() == 4 else item['inputs'][None]
        samples = item['data_samples']
        samples = samples if isinstance(samples, list) else [samples]
        for t, (img, sample) in enumerate(zip(frames, samples)):
            gt = sample.gt_instances
            meta = sample.metainfo
            title = ' '.join(str(x) for x in (
                f'img {meta.get("img_id")}', meta.get('lighting'), meta.get('condition'),
                meta.get('corruption')) if x)
            drawn = draw_objects(img.permute(1, 2, 0).numpy().astype(np.uint8),
                                 gt.bboxes.numpy(), gt.labels.tolist(), classes,
                                 gt.distance_m.tolist(), gt.distance_zone.tolist(),
                                 gt.urgency.tolist(),
                                 ignored=sample.ignored_instances.bboxes.numpy(), title=title)
            suffix = f'_f{t}' if len(samples) > 1 else ''
            path = osp.join(out_dir, f'{split}_{idx:04d}{suffix}.png')
            Image.fromarray(drawn).save(path)
            written.append(path)
    return written

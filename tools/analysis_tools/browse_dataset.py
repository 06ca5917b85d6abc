"""Write what the model is fed as PNGs: boxes, class, distance and urgency drawn.

python tools/analysis_tools/browse_dataset.py CONFIG --out-dir DIR [--split train|val|test]
    [--num N] [--condition NAME] [--corruption NAME:SEVERITY] [--cfg-options k=v ...]

The images are the pipeline's output (after resize, flip, condition preprocessing and
corruption), un-normalised, exactly as the data preprocessor receives them.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
from mmengine.config import Config, DictAction
from PIL import Image

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.datasets.transforms import LIGHTING_CORRUPTIONS, VISION_CONDITIONS  # noqa: E402
from maxsight.registry import DATASETS  # noqa: E402
from maxsight.utils import apply_condition, ensure_embedded_dataset, insert_after_loading  # noqa
from maxsight.visualization import draw_objects  # noqa: E402


def parse_corruption(text: str):
    try:
        name, severity = text.split(':')
        severity = int(severity)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected NAME:SEVERITY, got {text!r}') from None
    if name not in LIGHTING_CORRUPTIONS or not 1 <= severity <= 5:
        raise argparse.ArgumentTypeError(
            f'corruption must be one of {", ".join(LIGHTING_CORRUPTIONS)} with severity 1-5, '
            f'got {text!r}')
    return name, severity


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--num', type=int, default=12, help='how many samples to draw')
    parser.add_argument('--condition', choices=VISION_CONDITIONS, metavar='NAME')
    parser.add_argument('--corruption', type=parse_corruption, metavar='NAME:SEVERITY')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    ensure_embedded_dataset(cfg, splits=(args.split,))
    if args.condition:
        apply_condition(cfg, args.condition, splits=(args.split,), suffix_work_dir=False)
    ds_cfg = cfg[f'{args.split}_dataloader'].dataset
    if args.corruption:
        name, severity = args.corruption
        ds_cfg.pipeline = insert_after_loading(
            ds_cfg.pipeline, dict(type='LightingCorruption', name=name, severity=severity))
    dataset = DATASETS.build(ds_cfg)
    classes = dataset.metainfo['classes']
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    for idx in range(min(args.num, len(dataset))):
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
            path = osp.join(args.out_dir, f'{args.split}_{idx:04d}{suffix}.png')
            Image.fromarray(drawn).save(path)
            written.append(path)
    print(f'wrote {len(written)} images to {args.out_dir}')
    return written


if __name__ == '__main__':
    main()

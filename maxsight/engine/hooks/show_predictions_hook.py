"""Render test predictions: box, class, score, distance and urgency (colour by urgency)."""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook
from PIL import Image

from ...datasets.transforms import read_rgb
from ...registry import HOOKS
from ...visualization import draw_objects


@HOOKS.register_module()
class ShowPredictionsHook(Hook):
    """After every test iteration, draw each image's predictions with score >=
    ``score_thr`` on the original image and save ``out_dir/<file name>.png``."""

    def __init__(self, out_dir: str, score_thr: float = 0.3):
        self.out_dir = out_dir
        self.score_thr = score_thr

    def after_test_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        classes = runner.test_dataloader.dataset.metainfo['classes']
        os.makedirs(self.out_dir, exist_ok=True)
        for sample in outputs or []:
            pred = sample.pred_instances
            keep = pred.scores >= self.score_thr
            pred = pred[keep]
            meta = sample.metainfo
            img = read_rgb(meta['img_path'])
            drawn = draw_objects(img, pred.bboxes.cpu().numpy(), pred.labels.tolist(), classes,
                                 pred.distance_m.tolist(), pred.distance_zone.tolist(),
                                 pred.urgency.tolist(), pred.scores.tolist(),
                                 title=f'img {meta.get("img_id")} {meta.get("lighting", "")}')
            name = osp.splitext(osp.basename(meta['img_path']))[0]
            Image.fromarray(drawn).save(osp.join(self.out_dir, f'{meta["img_id"]}_{name}.png'))

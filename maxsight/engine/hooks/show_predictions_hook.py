"""Pictures of predictions through the runner's visualizer (``MaxSightVisualizer``): the
shown detections beside the ground truth, to the vis backends during validation and
testing, and every test image to ``out_dir`` with ``tools/test.py --show-dir``."""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook

from ...datasets.transforms import read_rgb
from ...registry import HOOKS
from ...utils.cli import unwrap_model
from ...visualization import DEFAULT_DISPLAY_THR
from ...visualization.visualizer import render_data_sample


@HOOKS.register_module()
class ShowPredictionsHook(Hook):
    """Args:
        out_dir: save a picture of every test image here (``<img_id>_<name>.png``).
        max_images: pictures per validation / test pass sent to the vis backends (0: none).
        score_thr: display threshold; None: the model's calibrated one, else 0.3.
        draw_gt: put the ground truth beside the prediction.
    """

    def __init__(self, out_dir: Optional[str] = None, max_images: int = 4,
                 score_thr: Optional[float] = None, draw_gt: bool = True):
        self.out_dir, self.max_images = out_dir, max_images
        self.score_thr, self.draw_gt = score_thr, draw_gt
        self._sent = 0

    def _thr(self, runner) -> float:
        if self.score_thr is not None:
            return float(self.score_thr)
        return float(getattr(unwrap_model(runner.model), 'display_score_thr',
                             DEFAULT_DISPLAY_THR))

    def before_val_epoch(self, runner) -> None:
        self._sent = 0

    def before_test_epoch(self, runner) -> None:
        self._sent = 0

    def _draw(self, runner, mode: str, loader, outputs: Optional[Sequence]) -> None:
        save = self.out_dir is not None and mode == 'test'
        if not save and self._sent >= self.max_images:
            return
        vis = runner.visualizer
        classes = loader.dataset.metainfo['classes']
        if save:
            os.makedirs(self.out_dir, exist_ok=True)
        for sample in outputs or []:
            send = self._sent < self.max_images
            if not (save or send) or 'img_path' not in sample.metainfo:
                continue
            meta = sample.metainfo
            img = read_rgb(meta['img_path'])
            name = osp.splitext(osp.basename(meta['img_path']))[0]
            render = getattr(vis, 'render_sample', None)  # a plain Visualizer: defaults
            drawn = render(img, sample, classes, self._thr(runner), self.draw_gt) if render \
                else render_data_sample(img, sample, classes, self._thr(runner), self.draw_gt)
            if save:
                from PIL import Image
                Image.fromarray(drawn).save(osp.join(self.out_dir,
                                                     f'{meta["img_id"]}_{name}.png'))
            if send:
                vis.add_image(f'{mode}_{name}', drawn, step=runner.iter if mode == 'val'
                              else 0)
                self._sent += 1

    def after_val_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._draw(runner, 'val', runner.val_dataloader, outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._draw(runner, 'test', runner.test_dataloader, outputs)

"""Use a trained model from Python: ``init_model`` + ``inference``.

    from maxsight.apis import inference, init_model
    model = init_model('configs/t2_default.py', 'work_dirs/t2_default/epoch_10.pth')
    for obj in inference(model, 'street.png').objects():
        print(obj['class_name'], obj['score'], obj['distance_m'], obj['urgency'])
"""
import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from ..datasets.coco_parsing import load_json, parse_categories
from ..datasets.labels import URGENCY_NAMES, ZONE_NAMES, heard_sides
from ..datasets.transforms.loading import as_stereo, read_rgb
from ..checkpoint_io import safe_load_checkpoint
from ..engine.transfer import load_same_architecture
from ..evaluation.calibration import apply_operating_point
from ..registry import MODELS
from ..visualization.render import (DEFAULT_DISPLAY_THR, DISPLAY_NMS_IOU, shown_indices,
                                    told_scene_urgency)
from .readout import DEFAULT_FOV_DEG, Announcement, announcements, readout_text
from ..utils.config_preparation import dataset_ann_file, load_config, resolve_num_classes

ImageInput = Union[str, np.ndarray]
_LOADERS = ('LoadImageFromFile', 'LoadAnnotations', 'LoadAudioFeatures')


@dataclass
class DetectionResult:
    """Detections of one image. Boxes are xyxy in pixels of the input image.

    ``distance_m``: metres; ``distance_zone`` / ``urgency``: indices into ``ZONE_NAMES``
    ('near', 'medium', 'far') / ``URGENCY_NAMES`` ('safe' ... 'danger');
    ``scene_urgency``: the whole scene's urgency index; ``beside_hazard``: (left, right)
    probability of a hazard heard beside the view (models with the head's ``beside``
    output, T4), else None.
    """
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    class_names: List[str]
    distance_m: np.ndarray
    distance_zone: np.ndarray
    urgency: np.ndarray
    scene_urgency: int
    image_shape: tuple = field(default=(0, 0))
    #: the threshold below which a detection is not shown or read out (the model's
    #: calibrated display threshold, else 0.3)
    score_thr: float = DEFAULT_DISPLAY_THR
    image: Optional[np.ndarray] = field(default=None, repr=False)
    beside_hazard: Optional[Tuple[float, float]] = None

    def __len__(self) -> int:
        return len(self.scores)

    def shown(self, score_thr: Optional[float] = None,
              nms_iou: Optional[float] = DISPLAY_NMS_IOU) -> 'DetectionResult':
        """The detections shown to a user: score >= ``score_thr`` (default
        :attr:`score_thr`), then one box per object: of boxes overlapping by IoU >=
        ``nms_iou`` whatever their class, the highest score (None: keep them all)."""
        keep = np.zeros(len(self.scores), bool)
        keep[shown_indices(self.boxes, self.scores,
                           self.score_thr if score_thr is None else score_thr, nms_iou)] = True
        return DetectionResult(
            boxes=self.boxes[keep], scores=self.scores[keep], labels=self.labels[keep],
            class_names=[n for n, k in zip(self.class_names, keep) if k],
            distance_m=self.distance_m[keep], distance_zone=self.distance_zone[keep],
            urgency=self.urgency[keep], scene_urgency=self.scene_urgency,
            image_shape=self.image_shape, score_thr=self.score_thr, image=self.image,
            beside_hazard=self.beside_hazard)

    def announcements(self, score_thr: Optional[float] = None, max_items: int = 5,
                      fov_deg: float = DEFAULT_FOV_DEG, clock: bool = False
                      ) -> List[Announcement]:
        """The shown objects worth telling the user about, most urgent then nearest first
        (:mod:`maxsight.apis.readout`)."""
        shown = self.shown(score_thr)
        return announcements(shown.boxes, shown.class_names, shown.urgency, shown.distance_m,
                             int(self.image_shape[1]), max_items, fov_deg=fov_deg,
                             clock=clock)

    def readout(self, score_thr: Optional[float] = None, max_items: int = 5,
                fov_deg: float = DEFAULT_FOV_DEG, clock: bool = False) -> str:
        """What the user would hear: 'Scene: danger. Heard on your left: a hazard. Danger:
        car, 2 metres, ahead left.' The scene is named by the scene head, raised to the most
        urgent object told; a side beside the view is told when its ``beside_hazard``
        probability is >= ``BESIDE_ALERT_THR``."""
        items = self.announcements(score_thr, max_items, fov_deg, clock)
        return readout_text(items, told_scene_urgency(self.scene_urgency,
                                                      [a.urgency for a in items]),
                            heard_sides(self.beside_hazard))

    def plot(self, score_thr: Optional[float] = None, min_side: int = 480) -> np.ndarray:
        """The image (RGB uint8, scaled up to ``min_side``) with the shown detections and a
        legend; needs the image (results of :func:`inference` carry it)."""
        if self.image is None:
            raise ValueError('plot() needs the image: this result was made without it')
        from ..visualization.render import Objects, render_scene
        shown = self.shown(score_thr)
        names = sorted(set(shown.class_names))
        return render_scene(self.image, Objects(
            shown.boxes, [names.index(n) for n in shown.class_names], shown.scores,
            shown.distance_m, shown.urgency), names,
            scene_urgency=told_scene_urgency(self.scene_urgency, shown.urgency),
            min_side=min_side, heard=heard_sides(self.beside_hazard))

    def save(self, path: str, score_thr: Optional[float] = None) -> str:
        """Write :meth:`plot` to ``path`` (PNG or JPEG by its extension); returns it."""
        from PIL import Image
        Image.fromarray(self.plot(score_thr)).save(path)
        return path

    def objects(self) -> List[Dict[str, Any]]:
        """One dict per detection, highest score first, with names instead of indices."""
        return [dict(box=self.boxes[i].tolist(), score=float(self.scores[i]),
                     class_name=self.class_names[i], label=int(self.labels[i]),
                     distance_m=float(self.distance_m[i]),
                     distance_zone=ZONE_NAMES[int(self.distance_zone[i])],
                     urgency=URGENCY_NAMES[int(self.urgency[i])])
                for i in np.argsort(-self.scores)]


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config`` and load ``checkpoint`` (safely, and refusing one of
    another architecture). The class names come from the checkpoint (else from the
    config's annotation file); the model keeps its config in ``model.cfg``. A calibrated
    operating point in the checkpoint sets the head's hazard threshold and exponent and
    ``model.display_score_thr`` (``use_operating_point=False`` in the config keeps its
    own)."""
    from .. import register_all_modules
    register_all_modules()
    cfg = load_config(config, cfg_options) if isinstance(config, str) else copy.deepcopy(config)
    classes, ckpt = None, None
    if checkpoint is not None:
        ckpt = safe_load_checkpoint(checkpoint)
        classes = ((ckpt.get('meta') or {}).get('dataset_meta') or {}).get('classes')
    if classes is not None:
        cfg.model.bbox_head.num_classes = len(classes)
    else:
        resolve_num_classes(cfg, 'test')
        ann = dataset_ann_file(cfg.test_dataloader.dataset)
        classes = parse_categories(load_json(ann), ann)[0]
    if cfg.model.get('type') == 'TemporalDetector':
        raise ValueError(f'{config}: init_model/inference take single images; T5 configs '
                         'run on clips (use tools/test.py, or a T0-T4 config)')
    model = MODELS.build(cfg.model)
    if ckpt is not None:
        load_same_architecture(ckpt, model, str(config), source=checkpoint)
        if cfg.get('use_operating_point', True):  # the checkpoint's calibrated thresholds
            apply_operating_point(model, (ckpt.get('meta') or {}).get('operating_point'))
    model.cfg = cfg
    model.class_names = list(classes)
    return model.to(device).eval()


def _pipeline(cfg: Config) -> Compose:
    steps = [t for t in cfg.test_dataloader.dataset.pipeline if t['type'] not in _LOADERS]
    return Compose([copy.deepcopy(t) for t in steps])


@torch.no_grad()
def inference(model: torch.nn.Module, images: Union[ImageInput, Sequence[ImageInput]],
              audio: Optional[Union[np.ndarray, Sequence[np.ndarray]]] = None
              ) -> Union[DetectionResult, List[DetectionResult]]:
    """Detect objects in one image or a list of images (file paths, or RGB uint8 arrays
    [H, W, 3]). T4 models also need each image's log-mel ``audio``: [2, n_mels, frames]
    (left, right) or [n_mels, frames] (mono, heard on both ears: no direction).
    Returns one :class:`DetectionResult` per image (a single one for a single image) with
    every detection the model keeps; its ``score_thr`` (the model's calibrated display
    threshold, else 0.3) is what ``readout()``, ``plot()`` and ``shown()`` use."""
    single = isinstance(images, (str, np.ndarray))
    images = [images] if single else list(images)
    if audio is not None and single:
        audio = [audio]
    if getattr(model, 'audio_fusion', None) is not None and audio is None:
        raise ValueError('this model fuses audio (T4): pass audio=<log-mel [2, n_mels, frames] '
                         '(left, right) or [n_mels, frames] (mono)> '
                         'for each image')
    pipeline = _pipeline(model.cfg)
    batch, arrays = [], []
    for i, image in enumerate(images):
        img = read_rgb(image) if isinstance(image, str) else np.ascontiguousarray(image)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'image {i}: expected RGB uint8 [H, W, 3], got {img.dtype} '
                             f'{list(img.shape)}')
        arrays.append(img)
        h, w = img.shape[:2]
        results = dict(img=img, img_shape=(h, w), ori_shape=(h, w), img_id=i,
                       img_path=image if isinstance(image, str) else None)
        if audio is not None:
            results['audio'] = as_stereo(audio[i], f'audio {i}')
        batch.append(pipeline(results))
    samples = model.test_step(pseudo_collate(batch))
    thr = float(getattr(model, 'display_score_thr', DEFAULT_DISPLAY_THR))
    results = [_to_result(s, model.class_names, thr, img)
               for s, img in zip(samples, arrays)]
    return results[0] if single else results


def _to_result(sample, class_names: List[str], score_thr: float = DEFAULT_DISPLAY_THR,
               image: Optional[np.ndarray] = None) -> DetectionResult:
    pred = sample.pred_instances
    labels = pred.labels.cpu().numpy()
    return DetectionResult(score_thr=score_thr, image=image,
        boxes=pred.bboxes.cpu().numpy(), scores=pred.scores.cpu().numpy(), labels=labels,
        class_names=[class_names[int(c)] for c in labels],
        distance_m=pred.distance_m.cpu().numpy(),
        distance_zone=pred.distance_zone.cpu().numpy(),
        urgency=pred.urgency.cpu().numpy(),
        scene_urgency=int(sample.metainfo.get('pred_scene_urgency', 0)),
        image_shape=tuple(sample.metainfo['ori_shape']),
        beside_hazard=(None if sample.metainfo.get('pred_beside_hazard') is None
                       else tuple(sample.metainfo['pred_beside_hazard'])))

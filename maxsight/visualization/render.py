"""Pictures a person can read: detections in their urgency colour with class, score,
distance and urgency, labels that neither overlap nor leave the image, a legend with the
scene urgency, small images scaled up, and the ground truth beside the prediction.

Boxes are xyxy in pixels of the image given; everything is drawn after scaling the image
so that its shorter side is at least ``min_side`` pixels (a 320x240 frame becomes 640x480).
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..datasets.labels import URGENCY_NAMES
from .draw import URGENCY_COLORS

Rect = Tuple[float, float, float, float]
#: display threshold of a model without a calibrated operating point
DEFAULT_DISPLAY_THR = 0.3
#: shown boxes overlapping this much (any classes) are one object: the best one is shown
#: (docs/benchmarks.md#one-box-per-object-on-display)
DISPLAY_NMS_IOU = 0.6


def told_scene_urgency(scene_urgency: int, object_urgencies: Sequence[int]) -> int:
    """The scene urgency a user is told: the scene head's, raised to the most urgent object
    shown or announced (a scene is never called calmer than one of its objects)."""
    return max([int(scene_urgency)] + [int(u) for u in object_urgencies])


def shown_indices(boxes, scores, score_thr: float,
                  nms_iou: Optional[float] = DISPLAY_NMS_IOU) -> np.ndarray:
    """Indices (ascending) of the detections a user is shown: score >= ``score_thr``, then
    of boxes (xyxy, [N, 4]) overlapping by IoU >= ``nms_iou`` whatever their class, the
    highest score (None: all above the threshold)."""
    import torch
    from torchvision.ops import nms
    boxes = torch.as_tensor(np.asarray(boxes), dtype=torch.float32).reshape(-1, 4)
    scores = torch.as_tensor(np.asarray(scores), dtype=torch.float32).reshape(-1)
    idx = torch.nonzero(scores >= score_thr).flatten()
    if nms_iou is not None and len(idx) > 1:
        idx = idx[nms(boxes[idx], scores[idx], float(nms_iou))]
    return np.sort(idx.numpy())


@dataclass
class Objects:
    """What one panel shows: boxes [N, 4] xyxy pixels, class indices [N] and, when known,
    scores, distances (m) and urgency levels [N]."""
    boxes: np.ndarray
    labels: Sequence[int]
    scores: Optional[Sequence[float]] = None
    distance_m: Optional[Sequence[float]] = None
    urgency: Optional[Sequence[int]] = None

    def __len__(self) -> int:
        return len(self.boxes)


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_label(box: Rect, size: Tuple[float, float], image_wh: Tuple[int, int],
                taken: List[Rect]) -> Rect:
    """Where a label of ``size`` (w, h) goes for ``box``: above it, inside its top, below
    it, then further up or down in steps, the first spot inside the image that overlaps no
    rectangle in ``taken`` (the least overlapping one otherwise); it is appended to
    ``taken``."""
    w, h = size
    iw, ih = image_wh
    x0 = min(max(0.0, box[0]), max(0.0, iw - w))
    candidates = [box[1] - h, box[1], box[3]]
    candidates += [box[1] - h - k * h for k in range(1, 6)] + [box[3] + k * h for k in range(1, 6)]
    best, best_hits = None, None
    for y in candidates:
        y = min(max(0.0, y), max(0.0, ih - h))
        rect = (x0, y, x0 + w, y + h)
        hits = sum(_overlaps(rect, t) for t in taken)
        if hits == 0:
            best = rect
            break
        if best_hits is None or hits < best_hits:
            best, best_hits = rect, hits
    taken.append(best)
    return best


def _label(objects: Objects, i: int, class_names: Sequence[str]) -> str:
    text = class_names[int(objects.labels[i])]
    if objects.scores is not None:
        text += f' {float(objects.scores[i]):.2f}'
    if objects.distance_m is not None:
        text += f' {float(objects.distance_m[i]):.1f} m'
    if objects.urgency is not None:
        text += f' {URGENCY_NAMES[int(objects.urgency[i])]}'
    return text


def draw_panel(img: np.ndarray, objects: Objects, class_names: Sequence[str],
               title: str = '', min_side: int = 480) -> np.ndarray:
    """``img`` (RGB uint8 [H, W, 3]) scaled up to ``min_side`` with ``objects`` drawn,
    most urgent last (on top), and a title bar."""
    scale = max(1.0, min_side / min(img.shape[:2]))
    pil = Image.fromarray(np.ascontiguousarray(img))
    if scale > 1.0:
        pil = pil.resize((round(pil.width * scale), round(pil.height * scale)),
                         Image.BILINEAR)
    draw = ImageDraw.Draw(pil)
    size = max(12, round(min(pil.size) / 32))
    font = _font(size)
    width = max(2, round(size / 6))
    order = np.argsort([int(objects.urgency[i]) if objects.urgency is not None else 0
                        for i in range(len(objects))], kind='stable')
    taken: List[Rect] = [(0, 0, pil.width, size + 6)] if title else []
    boxes = [tuple(float(v) * scale for v in objects.boxes[i]) for i in range(len(objects))]
    for i in order:
        level = int(objects.urgency[i]) if objects.urgency is not None else 0
        draw.rectangle(boxes[i], outline=URGENCY_COLORS[level], width=width)
    for i in order:
        level = int(objects.urgency[i]) if objects.urgency is not None else 0
        text = _label(objects, i, class_names)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        rect = place_label(boxes[i], (right - left + 6, bottom - top + 6), pil.size, taken)
        draw.rectangle(rect, fill=URGENCY_COLORS[level])
        draw.text((rect[0] + 3 - left, rect[1] + 3 - top), text, fill=(0, 0, 0), font=font)
    if title:
        draw.rectangle((0, 0, pil.width, size + 6), fill=(0, 0, 0))
        draw.text((4, 3), title, fill=(255, 255, 255), font=font)
    return np.asarray(pil)


def legend(width: int, scene_urgency: Optional[int] = None, height: int = 0,
           heard: Sequence[str] = ()) -> np.ndarray:
    """A strip ``width`` pixels wide: the four urgency colours with their names, the
    scene urgency, if given, and before it a 'heard <side>: hazard' box per side of
    ``heard`` (hazards heard beside the view)."""
    size = max(12, round(width / 60))
    height = height or size * 2 + 4
    pil = Image.new('RGB', (width, height), (30, 30, 30))
    draw = ImageDraw.Draw(pil)
    font = _font(size)
    x = 8
    for name, color in zip(URGENCY_NAMES, URGENCY_COLORS):
        draw.rectangle((x, height // 2 - size // 2, x + size, height // 2 + size // 2),
                       fill=color)
        draw.text((x + size + 4, height // 2 - size // 2 - 2), name, fill=(255, 255, 255),
                  font=font)
        x += size + 10 + int(draw.textlength(name, font=font)) + 12
    boxes = [] if scene_urgency is None else [(f'scene: {URGENCY_NAMES[int(scene_urgency)]}',
                                               URGENCY_COLORS[int(scene_urgency)])]
    boxes += [(f'heard {side}: hazard', URGENCY_COLORS[-1]) for side in reversed(heard)]
    right = width - 4
    for text, color in boxes:  # right to left
        tw = draw.textlength(text, font=font)
        draw.rectangle((right - tw - 12, 2, right, height - 2), fill=color)
        draw.text((right - tw - 6, height // 2 - size // 2 - 2), text, fill=(0, 0, 0),
                  font=font)
        right -= tw + 20
    return np.asarray(pil)


def render_scene(img: np.ndarray, pred: Objects, class_names: Sequence[str],
                 gt: Optional[Objects] = None, scene_urgency: Optional[int] = None,
                 title: str = '', min_side: int = 480,
                 gt_title: str = 'ground truth', heard: Sequence[str] = ()) -> np.ndarray:
    """The prediction panel (with the ground-truth panel on its left when ``gt`` is
    given) above a legend strip (:func:`legend`, with ``heard``): RGB uint8."""
    panels = [draw_panel(img, pred, class_names, f'prediction {title}'.strip(), min_side)]
    if gt is not None:
        panels.insert(0, draw_panel(img, gt, class_names, gt_title, min_side))
    gap = np.full((panels[0].shape[0], 8, 3), 255, np.uint8)
    body = panels[0] if len(panels) == 1 else np.concatenate([panels[0], gap, panels[1]], 1)
    return np.concatenate([body, legend(body.shape[1], scene_urgency, heard=heard)], 0)

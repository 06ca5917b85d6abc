"""Draw boxes with class, distance and urgency on an image (colour by urgency)."""
from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..datasets.labels import URGENCY_NAMES, ZONE_NAMES

#: RGB colour per urgency level: safe green, caution yellow, warning orange, danger red
URGENCY_COLORS = ((40, 200, 60), (240, 220, 40), (255, 140, 0), (230, 30, 30))
#: dashes of ignore regions (iscrowd)
IGNORED_GREY = (160, 160, 160)


def draw_objects(img: np.ndarray, boxes: np.ndarray, labels: Sequence[int],
                 class_names: Sequence[str], distance_m: Optional[Sequence[float]] = None,
                 distance_zone: Optional[Sequence[int]] = None,
                 urgency: Optional[Sequence[int]] = None,
                 scores: Optional[Sequence[float]] = None,
                 ignored: Optional[np.ndarray] = None, title: str = '') -> np.ndarray:
    """Return a copy of ``img`` (RGB uint8 [H, W, 3]) with ``boxes`` [N, 4] (xyxy pixels)
    outlined in their urgency colour and labelled ``class score | 3.2m near | danger``.
    ``ignored`` boxes (iscrowd) are drawn dashed-grey."""
    pil = Image.fromarray(np.ascontiguousarray(img))
    draw = ImageDraw.Draw(pil)
    for box in (ignored if ignored is not None else []):
        x0, y0, x1, y1 = (float(v) for v in box)
        for x in np.arange(x0, x1, 6):
            draw.line([(x, y0), (min(x + 3, x1), y0)], fill=IGNORED_GREY)
            draw.line([(x, y1), (min(x + 3, x1), y1)], fill=IGNORED_GREY)
        for y in np.arange(y0, y1, 6):
            draw.line([(x0, y), (x0, min(y + 3, y1))], fill=IGNORED_GREY)
            draw.line([(x1, y), (x1, min(y + 3, y1))], fill=IGNORED_GREY)
    for i, box in enumerate(boxes):
        x0, y0, x1, y1 = (float(v) for v in box)
        level = int(urgency[i]) if urgency is not None else 0
        color = URGENCY_COLORS[level]
        draw.rectangle([x0, y0, x1, y1], outline=color, width=2)
        text = class_names[int(labels[i])]
        if scores is not None:
            text += f' {float(scores[i]):.2f}'
        if distance_m is not None:
            text += f' | {float(distance_m[i]):.1f}m'
        if distance_zone is not None:
            text += f' {ZONE_NAMES[int(distance_zone[i])]}'
        if urgency is not None:
            text += f' | {URGENCY_NAMES[level]}'
        tw = draw.textlength(text)
        ty = max(0.0, y0 - 11)
        draw.rectangle([x0, ty, x0 + tw + 2, ty + 10], fill=color)
        draw.text((x0 + 1, ty - 1), text, fill=(0, 0, 0))
    if title:
        draw.rectangle([0, 0, draw.textlength(title) + 4, 11], fill=(0, 0, 0))
        draw.text((2, 0), title, fill=(255, 255, 255))
    return np.asarray(pil)

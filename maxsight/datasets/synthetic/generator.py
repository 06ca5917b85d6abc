"""Seeded synthetic street scenes: the embedded dataset a fresh clone trains on.

Each image is a street seen from a pedestrian's eye height: sky, building facades, a
textured ground plane, clutter (bushes, rocks, trees, litter), and 2-10 objects of eight
assistive classes placed on the ground with a pinhole camera model, so far objects are
small and high in the frame. Objects are painted far to near, so near ones occlude far
ones; an object with less than 25 % of its pixels visible is annotated ``iscrowd=1`` (an
ignore region). Every image then gets one of five lighting conditions with real pixel
changes (gamma / gain, sensor noise in the dark, a saturated glare source), and its
``lighting`` field is the bucket its pixels fall into (DESIGN section 6).

Annotations follow DESIGN section 3 (COCO plus ``distance_m``, ``distance_zone``,
``urgency``, ``hazard_prior``, ``lighting``, ``scene``). The same seed gives byte-identical
annotation files and images: every image uses its own generator seeded by
``(seed, split, index)``.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..labels import lighting_from_pixels, luma, urgency_from_fields, zone_from_distance


@dataclass(frozen=True)
class ObjectClass:
    """An object class: COCO id, name, hazard prior and real size (width, height) in m."""
    id: int
    name: str
    hazard_prior: float
    size_m: Tuple[float, float]


#: Category ids are deliberately non-contiguous (like COCO's).
CLASSES: Tuple[ObjectClass, ...] = (
    ObjectClass(1, 'person', 0.45, (0.55, 1.75)),
    ObjectClass(2, 'bicycle', 0.7, (1.7, 1.05)),
    ObjectClass(3, 'car', 0.95, (4.2, 1.5)),
    ObjectClass(15, 'bench', 0.3, (1.6, 0.9)),
    ObjectClass(18, 'dog', 0.5, (0.8, 0.6)),
    ObjectClass(101, 'pole', 0.6, (0.3, 3.0)),
    ObjectClass(102, 'door', 0.25, (1.0, 2.1)),
    ObjectClass(103, 'stairs', 0.85, (2.2, 1.0)),
)
LIGHTING_MIX = (('dark', 0.16), ('dim', 0.2), ('normal', 0.32), ('bright', 0.16),
                ('glare', 0.16))
TARGET_MEAN_LUMA = {'dark': (22, 44), 'dim': (58, 92), 'normal': (110, 160),
                    'bright': (178, 215), 'glare': (105, 150)}
SCENES = ('street', 'crossing', 'plaza', 'station')
CAMERA_HEIGHT_M = 1.3
MIN_DISTANCE_M = 1.6
MAX_DISTANCE_M = 16.0
MIN_VISIBLE_FRACTION = 0.2
SPLIT_CODES = {'train': 0, 'val': 1, 'test': 2}


def _rand_color(rng: np.random.Generator, lo: int = 20, hi: int = 235) -> Tuple[int, ...]:
    return tuple(int(c) for c in rng.integers(lo, hi, size=3))


def _shade(color: Tuple[int, ...], factor: float) -> Tuple[int, ...]:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in color)


class SceneRenderer:
    """Renders one scene with its own RNG; ``render()`` returns the RGB image and objects."""

    def __init__(self, rng: np.random.Generator, width: int, height: int):
        self.rng = rng
        self.w, self.h = width, height
        self.horizon = int(height * rng.uniform(0.36, 0.46))
        # focal length chosen so that the nearest object's foot is at the image bottom
        self.focal = (height - self.horizon) * MIN_DISTANCE_M / CAMERA_HEIGHT_M

    # ----------------------------------------------------------------- background
    def _background(self) -> Image.Image:
        rng, w, h, hz = self.rng, self.w, self.h, self.horizon
        img = np.zeros((h, w, 3), np.float32)
        sky_top, sky_bottom = np.array(_rand_color(rng, 90, 200)), np.array(
            _rand_color(rng, 150, 235))
        t = np.linspace(0, 1, hz)[:, None, None]
        img[:hz] = sky_top * (1 - t) + sky_bottom * t
        ground = np.array(_rand_color(rng, 60, 170), np.float32)
        rows = np.linspace(0.7, 1.15, h - hz)[:, None, None]
        img[hz:] = ground * rows
        # ground texture: coarse blotches plus fine grain
        coarse = rng.normal(0, 14, size=((h - hz) // 8 + 1, w // 8 + 1, 1)).astype(np.float32)
        coarse = np.kron(coarse, np.ones((8, 8, 1), np.float32))[: h - hz, :w]
        img[hz:] += coarse + rng.normal(0, 6, size=(h - hz, w, 1))
        pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(pil)
        # building facades along the horizon
        x = int(rng.integers(-40, 0))
        while x < w:
            bw = int(rng.integers(40, 120))
            top = int(hz - rng.integers(20, max(21, hz - 5)))
            col = _rand_color(rng, 60, 200)
            draw.rectangle([x, top, x + bw, hz + 2], fill=col)
            for wy in range(top + 6, hz - 8, 14):
                for wx in range(x + 5, x + bw - 8, 14):
                    if rng.random() < 0.7:
                        draw.rectangle([wx, wy, wx + 6, wy + 7], fill=_shade(col, 0.55))
            x += bw + int(rng.integers(0, 30))
        # road markings / kerb lines converging to the horizon
        for _ in range(int(rng.integers(0, 3))):
            x0 = int(rng.integers(0, w))
            draw.line([(x0, h), (w // 2 + (x0 - w // 2) // 6, hz)], fill=_rand_color(rng, 170, 240),
                      width=int(rng.integers(1, 4)))
        return pil

    # ------------------------------------------------------------------- clutter
    def _clutter(self, draw: ImageDraw.ImageDraw) -> None:
        rng = self.rng
        for _ in range(int(rng.integers(3, 12))):
            d = float(np.exp(rng.uniform(np.log(MIN_DISTANCE_M), np.log(MAX_DISTANCE_M))))
            foot = self.horizon + self.focal * CAMERA_HEIGHT_M / d
            cx = rng.uniform(0, self.w)
            kind = rng.integers(0, 4)
            s = self.focal / d
            if kind == 0:  # bush
                r = s * rng.uniform(0.3, 0.7)
                draw.ellipse([cx - r, foot - 1.4 * r, cx + r, foot], fill=_rand_color(rng, 20, 120))
            elif kind == 1:  # rock
                r = s * rng.uniform(0.1, 0.3)
                draw.ellipse([cx - r, foot - r, cx + r, foot], fill=_rand_color(rng, 70, 150))
            elif kind == 2:  # tree: brown trunk + crown (a hard negative for 'pole')
                tw, th = max(2.0, s * 0.25), s * 2.5
                draw.rectangle([cx - tw / 2, foot - th, cx + tw / 2, foot], fill=(90, 60, 30))
                r = s * 0.9
                draw.ellipse([cx - r, foot - th - r, cx + r, foot - th + r * 0.6],
                             fill=_rand_color(rng, 20, 110))
            else:  # litter / sign / random polygon
                pts = [(cx + rng.uniform(-1, 1) * s * 0.4, foot - rng.uniform(0, 1) * s * 0.6)
                       for _ in range(int(rng.integers(3, 6)))]
                draw.polygon(pts, fill=_rand_color(rng))

    # ------------------------------------------------------------------- objects
    def _draw_object(self, draw: ImageDraw.ImageDraw, cls: ObjectClass, box: List[float],
                     fill: Tuple[int, ...]) -> None:
        """Paint ``cls`` into ``box`` = [x0, y0, x1, y1] (pixels) with colour ``fill``."""
        rng = self.rng
        x0, y0, x1, y1 = box
        bw, bh = x1 - x0, y1 - y0
        dark = _shade(fill, 0.45)
        name = cls.name
        if name == 'person':
            head = bw * 0.42
            cx = (x0 + x1) / 2
            draw.ellipse([cx - head / 2, y0, cx + head / 2, y0 + head * 1.1], fill=(224, 180, 150))
            draw.rectangle([x0, y0 + head * 1.1, x1, y0 + bh * 0.6], fill=fill)
            leg = _rand_color(rng, 20, 120)
            draw.rectangle([x0 + bw * 0.1, y0 + bh * 0.6, cx - bw * 0.04, y1], fill=leg)
            draw.rectangle([cx + bw * 0.04, y0 + bh * 0.6, x1 - bw * 0.1, y1], fill=leg)
        elif name == 'bicycle':
            r = bh * 0.34
            lw = max(1, int(bh / 14))
            draw.ellipse([x0, y1 - 2 * r, x0 + 2 * r, y1], outline=(25, 25, 25), width=lw)
            draw.ellipse([x1 - 2 * r, y1 - 2 * r, x1, y1], outline=(25, 25, 25), width=lw)
            hub_l, hub_r = (x0 + r, y1 - r), (x1 - r, y1 - r)
            seat, bar = (x0 + bw * 0.42, y0 + bh * 0.12), (x1 - bw * 0.25, y0)
            for a, b in ((hub_l, seat), (seat, bar), (bar, hub_r), (seat, hub_r),
                         (hub_l, (x0 + bw * 0.55, y1 - r))):
                draw.line([a, b], fill=fill, width=max(1, lw + 1))
        elif name == 'car':
            draw.rectangle([x0, y0 + bh * 0.35, x1, y1 - bh * 0.18], fill=fill)
            draw.polygon([(x0 + bw * 0.18, y0 + bh * 0.36), (x0 + bw * 0.3, y0),
                          (x1 - bw * 0.25, y0), (x1 - bw * 0.1, y0 + bh * 0.36)], fill=fill)
            draw.rectangle([x0 + bw * 0.32, y0 + bh * 0.08, x1 - bw * 0.28, y0 + bh * 0.33],
                           fill=(140, 180, 210))
            wr = bh * 0.2
            for wx in (x0 + bw * 0.22, x1 - bw * 0.22):
                draw.ellipse([wx - wr, y1 - 2 * wr, wx + wr, y1], fill=(20, 20, 20))
        elif name == 'bench':
            for k in range(3):
                yy = y0 + k * bh * 0.18
                draw.rectangle([x0, yy, x1, yy + bh * 0.1], fill=fill)
            draw.rectangle([x0, y0 + bh * 0.5, x1, y0 + bh * 0.6], fill=fill)
            draw.rectangle([x0 + bw * 0.05, y0 + bh * 0.6, x0 + bw * 0.12, y1], fill=dark)
            draw.rectangle([x1 - bw * 0.12, y0 + bh * 0.6, x1 - bw * 0.05, y1], fill=dark)
        elif name == 'dog':
            draw.ellipse([x0 + bw * 0.1, y0 + bh * 0.25, x1 - bw * 0.15, y0 + bh * 0.7], fill=fill)
            draw.ellipse([x1 - bw * 0.35, y0, x1, y0 + bh * 0.4], fill=fill)
            for lx in (0.2, 0.35, 0.6, 0.72):
                draw.rectangle([x0 + bw * lx, y0 + bh * 0.6, x0 + bw * (lx + 0.08), y1], fill=dark)
            draw.line([(x0 + bw * 0.12, y0 + bh * 0.4), (x0, y0 + bh * 0.15)], fill=fill,
                      width=max(1, int(bh / 10)))
        elif name == 'pole':
            draw.rectangle([x0, y0, x1, y1], fill=(150, 150, 160))
            draw.rectangle([x0, y0 + bh * 0.5, x1, y0 + bh * 0.56], fill=(230, 200, 40))
            draw.rectangle([x0 - bw * 0.3, y0, x1 + bw * 0.3, y0 + bh * 0.04], fill=(60, 60, 60))
        elif name == 'door':
            draw.rectangle([x0, y0, x1, y1], fill=dark)
            draw.rectangle([x0 + bw * 0.08, y0 + bh * 0.05, x1 - bw * 0.08, y1], fill=fill)
            draw.rectangle([x0 + bw * 0.2, y0 + bh * 0.12, x1 - bw * 0.2, y0 + bh * 0.42],
                           fill=_shade(fill, 1.3))
            kr = max(1.0, bw * 0.06)
            draw.ellipse([x1 - bw * 0.25 - kr, y0 + bh * 0.55 - kr, x1 - bw * 0.25 + kr,
                          y0 + bh * 0.55 + kr], fill=(230, 210, 60))
        elif name == 'stairs':
            steps = 4
            for k in range(steps):
                ty = y0 + bh * k / steps
                inset = bw * 0.08 * (steps - 1 - k)
                draw.rectangle([x0 + inset, ty, x1 - inset, ty + bh / steps],
                               fill=_shade(fill, 0.7 + 0.1 * k))
                draw.line([(x0 + inset, ty), (x1 - inset, ty)], fill=(240, 240, 240),
                          width=max(1, int(bh / 20)))
        else:  # pragma: no cover - CLASSES is closed
            raise ValueError(f'no drawing for class {name}')

    def _place(self, cls: ObjectClass) -> Optional[Dict]:
        """Sample distance and horizontal position; return the object's full box (px)."""
        rng = self.rng
        d = float(np.exp(rng.uniform(np.log(MIN_DISTANCE_M), np.log(MAX_DISTANCE_M))))
        wm, hm = cls.size_m
        if cls.name == 'car' and rng.random() < 0.4:  # seen from the front
            wm = 1.8
        scale = self.focal / d
        bw, bh = max(3.0, wm * scale), max(3.0, hm * scale)
        foot = self.horizon + self.focal * CAMERA_HEIGHT_M / d
        cx = rng.uniform(-0.1 * bw, self.w + 0.1 * bw)
        box = [cx - bw / 2, foot - bh, cx + bw / 2, foot]
        return dict(cls=cls, distance=d, box=box)

    def render(self, num_objects: int) -> Tuple[np.ndarray, List[Dict]]:
        pil = self._background()
        draw = ImageDraw.Draw(pil)
        self._clutter(draw)
        classes = [CLASSES[int(i)] for i in self.rng.integers(0, len(CLASSES), num_objects)]
        objects = [self._place(c) for c in classes]
        objects.sort(key=lambda o: -o['distance'])  # painter's order: far first
        owner = np.full((self.h, self.w), -1, np.int32)  # nearest object covering a pixel
        areas = []
        for idx, obj in enumerate(objects):
            self._draw_object(draw, obj['cls'], obj['box'], _rand_color(self.rng))
            x0, y0, x1, y1 = (int(round(v)) for v in obj['box'])
            x0, y0 = max(x0, 0), max(y0, 0)
            owner[y0:max(y1, y0), x0:max(x1, x0)] = idx
            areas.append(max((min(x1, self.w) - x0) * (min(y1, self.h) - y0), 1))
        for idx, obj in enumerate(objects):
            obj['visible_fraction'] = float((owner == idx).sum()) / areas[idx]
        return np.asarray(pil), objects


def _gamma_to_mean(img: np.ndarray, target: float) -> np.ndarray:
    """Apply the gamma (found by bisection) that brings mean luma of ``img`` to ``target``."""
    base = np.clip(img.astype(np.float32), 0, 240) / 255.0
    lo, hi = 0.05, 12.0
    y = luma(base)
    for _ in range(40):
        g = np.sqrt(lo * hi)
        m = float((y ** g).mean()) * 255
        if m > target:
            lo = g
        else:
            hi = g
    return base ** np.sqrt(lo * hi) * 255.0


def apply_lighting(img: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """Re-expose an RGB uint8 image for ``condition`` (one of the five buckets)."""
    lo, hi = TARGET_MEAN_LUMA[condition]
    target = float(rng.uniform(lo, hi))
    out = _gamma_to_mean(img, target)
    if condition in ('dark', 'dim'):
        noise = rng.normal(0, 5.0 if condition == 'dark' else 3.0, size=out.shape[:2])[..., None]
        out = out + noise  # sensor noise, same on all channels (luma noise)
    if condition == 'glare':
        h, w = out.shape[:2]
        cy, cx = rng.uniform(0, h * 0.6), rng.uniform(0, w)
        radius = rng.uniform(0.16, 0.3) * np.hypot(h, w)
        yy, xx = np.mgrid[0:h, 0:w]
        r = np.hypot(yy - cy, xx - cx) / radius
        flare = 300.0 * np.exp(-(r ** 2) * 1.2)[..., None]
        out = out + flare
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _sample_lighting(rng: np.random.Generator) -> str:
    names = [n for n, _ in LIGHTING_MIX]
    probs = np.array([p for _, p in LIGHTING_MIX])
    return names[int(rng.choice(len(names), p=probs / probs.sum()))]


def categories() -> List[Dict]:
    """COCO ``categories`` of the embedded dataset (with ``hazard_prior``)."""
    return [dict(id=c.id, name=c.name, supercategory='assistive', hazard_prior=c.hazard_prior)
            for c in CLASSES]


def generate_image(seed: int, split: str, index: int, width: int, height: int
                   ) -> Tuple[np.ndarray, Dict, List[Dict]]:
    """Render image ``index`` of ``split``: returns (RGB uint8 [H, W, 3], image record
    without id/file_name, annotation records without ids). Boxes are xywh pixels."""
    rng = np.random.default_rng([seed, SPLIT_CODES[split], index])
    renderer = SceneRenderer(rng, width, height)
    img, objects = renderer.render(int(rng.integers(2, 11)))
    if rng.random() < 0.5:  # soft focus on half of the images
        img = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(0.7)))
    condition = _sample_lighting(rng)
    img = apply_lighting(img, condition, rng)
    anns = []
    for obj in objects:
        x0, y0, x1, y1 = obj['box']
        cx0, cy0 = max(0.0, x0), max(0.0, y0)
        cx1, cy1 = min(float(width), x1), min(float(height), y1)
        if cx1 - cx0 < 2 or cy1 - cy0 < 2:
            continue
        clipped_frac = (cx1 - cx0) * (cy1 - cy0) / max((x1 - x0) * (y1 - y0), 1e-6)
        visible = obj['visible_fraction']
        bbox = [round(cx0, 2), round(cy0, 2), round(cx1 - cx0, 2), round(cy1 - cy0, 2)]
        cls: ObjectClass = obj['cls']
        d = round(obj['distance'], 3)
        anns.append(dict(
            category_id=cls.id, bbox=bbox, area=round(bbox[2] * bbox[3], 2),
            iscrowd=int(visible < MIN_VISIBLE_FRACTION or clipped_frac < 0.25),
            distance_m=d, distance_zone=zone_from_distance(d),
            urgency=urgency_from_fields(cls.hazard_prior, d, (cx0 + cx1) / 2 / width),
            occlusion=round(1.0 - visible, 3)))
    record = dict(width=width, height=height, lighting=lighting_from_pixels(img),
                  scene=SCENES[int(rng.integers(0, len(SCENES)))])
    return img, record, anns


def generate_split(out_dir: str, split: str, num_images: int, seed: int = 0,
                   width: int = 320, height: int = 240) -> str:
    """Write ``num_images`` images to ``out_dir/<split>/`` and the COCO file
    ``out_dir/annotations/<split>.json``; returns the annotation file path."""
    img_dir = osp.join(out_dir, split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        img, record, anns = generate_image(seed, split, i, width, height)
        file_name = f'{split}/{i:06d}.png'
        Image.fromarray(img).save(osp.join(out_dir, file_name), compress_level=1)
        image_id = i + 1
        images.append(dict(id=image_id, file_name=file_name, **record))
        for ann in anns:
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, **ann))
    coco = dict(
        info=dict(description=f'MaxSight synthetic street scenes ({split})', version='1.0',
                  seed=seed, year=2026),
        licenses=[], images=images, annotations=annotations, categories=categories())
    ann_file = osp.join(out_dir, 'annotations', f'{split}.json')
    tmp = ann_file + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(coco, f, indent=None, separators=(',', ':'))
    os.replace(tmp, ann_file)
    return ann_file


def generate_synthetic_dataset(out_dir: str, num_train: int = 1600, num_val: int = 400,
                               seed: int = 0, width: int = 320, height: int = 240
                               ) -> Dict[str, str]:
    """Generate the embedded dataset (train and val splits) under ``out_dir``.

    Returns ``{'train': ann_file, 'val': ann_file}``.
    """
    return {split: generate_split(out_dir, split, n, seed, width, height)
            for split, n in (('train', num_train), ('val', num_val))}

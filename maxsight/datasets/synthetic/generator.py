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

from ..labels import (BESIDE_SIDES, SIGNAL_GOVERNED_CLASSES, SIGNAL_STATES, beside_urgency,
                      lighting_from_pixels, luma, moving_urgency_score, signal_urgency_score,
                      urgency_from_fields, urgency_level, zone_from_distance)
from .audio import SOUNDING_CLASSES, audio_features


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
#: Clip frame rate (frames/s).
FRAMES_PER_S = 5
#: Version of the generated files (``info.version``): splits written by an older version
#: are generated again (clip urgency depends on motion since 1.2; annotations carry
#: ``truncation`` since 1.3; a sound source beside the view and ``beside_hazards`` since 1.4,
#: the pictures unchanged).
GENERATOR_VERSION = '1.4'
#: Pedestrian signal of the signal set: distance range (m), height of its head's bottom and
#: top (m), head width (m), side of a lamp's lit square panel (m), share of the half view
#: it may stand in.
SIGNAL_DISTANCE_M = (3.5, 6.5)
SIGNAL_HEAD_M = (2.0, 2.8)
SIGNAL_HEAD_WIDTH_M = 0.4
SIGNAL_PANEL_M = 0.3
SIGNAL_LATERAL_SHARE = 0.85
#: Version of the signal set's drawing and rule (``info.traffic_signal``): signal splits
#: written by another version are generated again (lit square panels at 3.5-6.5 m since 2;
#: traffic comes on at "don't walk" since 3; the head annotated since 4).
SIGNAL_SET_VERSION = '4'
#: The signal head as an annotated object, its class the lit panel, as pedestrian-signal
#: datasets label them; overhead, so no obstacle (hazard prior 0).
SIGNAL_CLASSES: Tuple[ObjectClass, ...] = tuple(
    ObjectClass(cid, name, 0.0, (SIGNAL_HEAD_WIDTH_M, SIGNAL_HEAD_M[1] - SIGNAL_HEAD_M[0]))
    for cid, name in ((201, 'walk signal'), (202, "don't walk signal")))
#: Fourth seed word of the signal's random stream: the rest of the scene does not move.
SIGNAL_STREAM = 1 << 20
#: Fourth seed word of the random stream of the sound source beside the view: the picture
#: and the in-view sources do not move.
BESIDE_STREAM = 1 << 21
#: Share of scenes with a sounding object beside the view (heard, not seen), the share of
#: those that are cars (the rest: person, bicycle or dog), its distance range (m) and how far
#: (m) its nearer side lies beyond the edge of the view.
BESIDE_SOURCE_SHARE = 0.5
BESIDE_CAR_SHARE = 0.5
BESIDE_DISTANCE_M = (MIN_DISTANCE_M, 4.0)
BESIDE_MARGIN_M = (0.1, 1.0)
SPLIT_CODES = {'train': 0, 'val': 1, 'test': 2, 'train_clips': 3, 'val_clips': 4,
               'test_clips': 5}


def _sample_width_m(cls: ObjectClass, rng: np.random.Generator) -> float:
    """Width (m) the object shows: a car is seen end-on (1.8 m) 40 % of the time, else
    side-on; every other class at its own width."""
    return 1.8 if cls.name == 'car' and rng.random() < 0.4 else cls.size_m[0]


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
    def _background(self, rng: np.random.Generator) -> Image.Image:
        w, h, hz = self.w, self.h, self.horizon
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

    def _height_y(self, height_m: float, distance_m: float) -> float:
        """Image row (px) of a point ``height_m`` above the ground ``distance_m`` away."""
        return self.horizon + self.focal * (CAMERA_HEIGHT_M - height_m) / distance_m

    # ------------------------------------------------------------------- clutter
    def _clutter(self, draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
        for _ in range(int(rng.integers(3, 12))):
            d = float(np.exp(rng.uniform(np.log(MIN_DISTANCE_M), np.log(MAX_DISTANCE_M))))
            foot = self._height_y(0.0, d)
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
                     fill: Tuple[int, ...], rng: np.random.Generator) -> None:
        """Paint ``cls`` into ``box`` = [x0, y0, x1, y1] (pixels) with colour ``fill``."""
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

    def sample_objects(self, num_objects: int,
                       classes: Tuple[ObjectClass, ...] = CLASSES) -> List[Dict]:
        """Objects with class, distance (m), lateral offset (m), width, colour, draw seed."""
        rng = self.rng
        objects = []
        for _ in range(num_objects):
            cls = classes[int(rng.integers(0, len(classes)))]
            d = float(np.exp(rng.uniform(np.log(MIN_DISTANCE_M), np.log(MAX_DISTANCE_M))))
            width_m = _sample_width_m(cls, rng)
            # lateral position: uniform over the visible width at that distance (+10 %)
            half_view_m = self.w / 2 * d / self.focal
            x_m = float(rng.uniform(-1.1, 1.1) * half_view_m)
            objects.append(dict(cls=cls, distance=d, x_m=x_m, width_m=width_m,
                                color=_rand_color(rng), draw_seed=int(rng.integers(2 ** 31))))
        return objects

    def box_of(self, obj: Dict) -> List[float]:
        """Full (unclipped) box [x0, y0, x1, y1] in pixels from the camera model."""
        d = max(obj['distance'], 0.3)
        scale = self.focal / d
        bw, bh = max(3.0, obj['width_m'] * scale), max(3.0, obj['cls'].size_m[1] * scale)
        foot = self._height_y(0.0, d)
        cx = self.w / 2 + obj['x_m'] * scale
        return [cx - bw / 2, foot - bh, cx + bw / 2, foot]

    def sample_signal(self, rng: np.random.Generator) -> Dict:
        """A pedestrian signal: ``distance`` (m), lateral ``x_m`` (m), ``walk`` (bool)."""
        d = float(rng.uniform(*SIGNAL_DISTANCE_M))
        half_view_m = self.w / 2 * d / self.focal
        return dict(distance=d, x_m=float(rng.uniform(-1, 1) * SIGNAL_LATERAL_SHARE
                                          * half_view_m), walk=bool(rng.random() < 0.5))

    def sample_beside_source(self, rng: np.random.Generator) -> Optional[Dict]:
        """A sounding object wholly beside the view (left or right, never drawn), as
        :meth:`sample_objects` describes objects, or None (``1 - BESIDE_SOURCE_SHARE`` of
        scenes)."""
        if rng.random() >= BESIDE_SOURCE_SHARE:
            return None
        names = {c.name: c for c in CLASSES}
        others = [n for n in SOUNDING_CLASSES if n != 'car']
        name = 'car' if rng.random() < BESIDE_CAR_SHARE else others[int(rng.integers(len(others)))]
        cls = names[name]
        d = float(np.exp(rng.uniform(*np.log(BESIDE_DISTANCE_M))))
        width_m = _sample_width_m(cls, rng)
        half_view_m = self.w / 2 * d / self.focal
        side = 1.0 if rng.random() < 0.5 else -1.0
        x_m = side * (half_view_m + width_m / 2 + rng.uniform(*BESIDE_MARGIN_M))
        return dict(cls=cls, distance=d, x_m=x_m, width_m=width_m)

    def signal_box(self, signal: Dict) -> List[float]:
        """The pedestrian signal's head [x0, y0, x1, y1] in pixels (unclipped)."""
        d = signal['distance']
        cx = self.w / 2 + signal['x_m'] * self.focal / d
        half = SIGNAL_HEAD_WIDTH_M * self.focal / d / 2
        return [cx - half, self._height_y(SIGNAL_HEAD_M[1], d), cx + half,
                self._height_y(SIGNAL_HEAD_M[0], d)]

    def signal_visible_fraction(self, signal: Dict, objects: List[Dict]) -> float:
        """Share of the signal head's in-frame pixels that no object's ``box`` covers
        (every object is painted over the signal)."""
        x0, y0, x1, y1 = (int(round(v)) for v in self.signal_box(signal))
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, self.w), min(y1, self.h)
        if x1 <= x0 or y1 <= y0:
            return 0.0
        covered = np.zeros((y1 - y0, x1 - x0), bool)
        for obj in objects:
            a0, b0, a1, b1 = (int(round(v)) for v in obj['box'])
            covered[max(b0 - y0, 0):max(b1 - y0, 0), max(a0 - x0, 0):max(a1 - x0, 0)] = True
        return 1.0 - float(covered.mean())

    def _draw_signal(self, draw: ImageDraw.ImageDraw, signal: Dict) -> None:
        """Paint a pole with a signal head: red panel lit on top ("don't walk") or green
        panel lit below ("walk"), as real pedestrian signals stack them."""
        d = signal['distance']
        scale = self.focal / d
        x0, y_top, x1, y_bottom = self.signal_box(signal)
        cx = (x0 + x1) / 2
        pole = max(1.0, 0.1 * scale) / 2
        draw.rectangle([cx - pole, y_bottom, cx + pole, self._height_y(0.0, d)],
                       fill=(70, 70, 75))
        draw.rectangle([x0, y_top, x1, y_bottom], fill=(25, 25, 25))
        r = max(1.0, SIGNAL_PANEL_M * scale / 2)
        span = SIGNAL_HEAD_M[1] - SIGNAL_HEAD_M[0]
        for frac, lit, dim, on in ((0.75, (235, 40, 30), (70, 25, 20), not signal['walk']),
                                   (0.25, (40, 225, 90), (20, 60, 30), signal['walk'])):
            cy = self._height_y(SIGNAL_HEAD_M[0] + frac * span, d)
            draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=lit if on else dim)

    def render(self, objects: List[Dict], scene_rng: np.random.Generator,
               signal: Optional[Dict] = None) -> Tuple[np.ndarray, List[Dict]]:
        """Paint background and clutter (from ``scene_rng``), the pedestrian ``signal``
        when given (:meth:`sample_signal`) and ``objects`` far to near.

        Returns the RGB image and the objects (sorted far to near) with ``box`` and
        ``visible_fraction`` (share of the box not covered by nearer objects).
        """
        pil = self._background(scene_rng)
        draw = ImageDraw.Draw(pil)
        self._clutter(draw, scene_rng)
        if signal is not None:
            self._draw_signal(draw, signal)
        objects = sorted((dict(o, box=self.box_of(o)) for o in objects),
                         key=lambda o: -o['distance'])  # painter's order: far first
        owner = np.full((self.h, self.w), -1, np.int32)  # nearest object covering a pixel
        areas = []
        for idx, obj in enumerate(objects):
            self._draw_object(draw, obj['cls'], obj['box'], obj['color'],
                              np.random.default_rng(obj['draw_seed']))
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


def categories(traffic_signal: bool = False) -> List[Dict]:
    """COCO ``categories`` of the embedded dataset (with ``hazard_prior``); with
    ``traffic_signal``, the signal set's, which adds ``SIGNAL_CLASSES``."""
    classes = CLASSES + SIGNAL_CLASSES if traffic_signal else CLASSES
    return [dict(id=c.id, name=c.name, supercategory='assistive', hazard_prior=c.hazard_prior)
            for c in classes]


def _in_picture(box: List[float], width: int, height: int) -> bool:
    """Whether a box [x0, y0, x1, y1] (pixels) keeps at least 2 x 2 pixels in the picture
    (an object that does not has no annotation)."""
    x0, y0, x1, y1 = box
    return min(float(width), x1) - max(0.0, x0) >= 2 and min(float(height), y1) - max(0.0, y0) >= 2


def beside_hazard_sides(sources: List[Dict], width: int, height: int) -> List[str]:
    """Sides ('left', 'right') on which a sounding object out of the picture is a hazard
    (:func:`~maxsight.datasets.labels.beside_urgency` >= 2): heard, not seen."""
    sides = set()
    for obj in sources:
        if obj['cls'].name not in SOUNDING_CLASSES or _in_picture(obj['box'], width, height):
            continue
        if beside_urgency(obj['cls'].hazard_prior, obj['distance']) >= 2:
            sides.add(BESIDE_SIDES[0] if obj['x_m'] < 0 else BESIDE_SIDES[1])
    return [side for side in BESIDE_SIDES if side in sides]


def _annotate(objects: List[Dict], width: int, height: int,
              signal: Optional[Dict] = None) -> List[Dict]:
    """COCO annotations (without ids) of rendered objects; boxes xywh pixels, clipped.
    With a pedestrian ``signal``, vehicles take their urgency from it and are marked
    ``urgency_context`` (their urgency depends on something elsewhere in the image)."""
    anns = []
    for obj in objects:
        x0, y0, x1, y1 = obj['box']
        if not _in_picture(obj['box'], width, height):
            continue
        cx0, cy0 = max(0.0, x0), max(0.0, y0)
        cx1, cy1 = min(float(width), x1), min(float(height), y1)
        clipped_frac = (cx1 - cx0) * (cy1 - cy0) / max((x1 - x0) * (y1 - y0), 1e-6)
        visible = obj['visible_fraction']
        bbox = [round(cx0, 2), round(cy0, 2), round(cx1 - cx0, 2), round(cy1 - cy0, 2)]
        cls: ObjectClass = obj['cls']
        d = round(obj['distance'], 3)
        cx_frac = (cx0 + cx1) / 2 / width
        ann = dict(category_id=cls.id, bbox=bbox, area=round(bbox[2] * bbox[3], 2),
                   iscrowd=int(visible < MIN_VISIBLE_FRACTION or clipped_frac < 0.25),
                   distance_m=d, distance_zone=zone_from_distance(d),
                   urgency=urgency_from_fields(cls.hazard_prior, d, cx_frac),
                   occlusion=round(1.0 - visible, 3), truncation=round(1.0 - clipped_frac, 3),
                   track_id=obj['track_id'])
        if signal is not None and cls.name in SIGNAL_GOVERNED_CLASSES:
            ann['urgency'] = urgency_level(signal_urgency_score(
                cls.hazard_prior, d, cx_frac, traffic_held=signal['walk']))
            ann['urgency_context'] = True
        if 'approach_m_s' in obj:  # a clip: urgency from the time to contact
            ann['approach_m_s'] = round(obj['approach_m_s'], 3)
            ann['urgency'] = urgency_level(moving_urgency_score(
                cls.hazard_prior, d, cx_frac, ann['approach_m_s']))
        anns.append(ann)
    return anns


def generate_frames(seed: int, split: str, index: int, width: int, height: int,
                    num_frames: int = 1, with_audio: bool = True,
                    objects_per_image: Tuple[int, int] = (2, 10),
                    classes: Tuple[ObjectClass, ...] = CLASSES,
                    traffic_signal: bool = False) -> List[Dict]:
    """Render image (``num_frames=1``) or clip ``index`` of ``split``.

    In a clip the background, lighting condition and objects are shared, and each object
    moves at constant velocity (lateral -1.5..1.5 m/s, approach -1..2.5 m/s, 5 frames/s);
    its annotations carry ``approach_m_s`` and an urgency from the time to contact
    (:func:`~maxsight.datasets.labels.moving_urgency_score`).
    ``objects_per_image`` (inclusive range) and ``classes`` are the embedded set's by
    default. ``traffic_signal`` (images only; the signal set): a pedestrian signal stands
    in the scene, drawn from its own random stream, and sets the vehicles' urgency
    (:func:`~maxsight.datasets.labels.signal_urgency_score`); its head is annotated last,
    as an object of ``SIGNAL_CLASSES`` (the class of its state), and the image record
    carries ``traffic_signal`` ('walk' or 'dont_walk'). Without it the output is
    byte-identical to the embedded set's. Returns one dict per frame: ``img`` (RGB uint8
    [H, W, 3]), ``record`` (image fields without id/file_name), ``anns`` (annotations
    without ids), ``audio`` ([2, 32, T] float32 stereo log-mel or None).
    """
    if traffic_signal and num_frames > 1:
        raise ValueError('traffic_signal is for single images: in a clip a vehicle\'s '
                         'urgency follows its motion')
    base = [seed, SPLIT_CODES[split], index]
    rng = np.random.default_rng(base)
    renderer = SceneRenderer(rng, width, height)
    objects = renderer.sample_objects(
        int(rng.integers(objects_per_image[0], objects_per_image[1] + 1)), classes)
    for track_id, obj in enumerate(objects, 1):
        obj['track_id'] = track_id
        obj['vx'] = rng.uniform(-1.5, 1.5) / FRAMES_PER_S
        obj['vz'] = rng.uniform(-1.0, 2.5) / FRAMES_PER_S
    soft_focus = rng.random() < 0.5
    condition = _sample_lighting(rng)
    scene = SCENES[int(rng.integers(0, len(SCENES)))]
    signal = renderer.sample_signal(np.random.default_rng(base + [SIGNAL_STREAM])) \
        if traffic_signal else None
    beside = renderer.sample_beside_source(np.random.default_rng(base + [BESIDE_STREAM]))
    beside = [] if beside is None else [dict(beside, box=renderer.box_of(beside))]
    frames = []

    def distance_at(o: Dict, t: int) -> float:
        return float(np.clip(o['distance'] - o['vz'] * t, MIN_DISTANCE_M, MAX_DISTANCE_M * 1.2))

    for t in range(num_frames):
        moved = [dict(o, distance=distance_at(o, t), x_m=o['x_m'] + o['vx'] * t)
                 for o in objects]
        if num_frames > 1:  # the motion shown between this frame and the next, in m/s
            for o, m in zip(objects, moved):
                m['approach_m_s'] = (m['distance'] - distance_at(o, t + 1)) * FRAMES_PER_S
        frame_rng = np.random.default_rng(base + [t + 1])
        img, placed = renderer.render(moved, np.random.default_rng(base + [0]), signal)
        annotated = placed
        if signal is not None:  # the head, annotated after the objects painted over it
            annotated = placed + [dict(
                cls=SIGNAL_CLASSES[0 if signal['walk'] else 1],
                box=renderer.signal_box(signal), distance=signal['distance'],
                track_id=len(placed) + 1,
                visible_fraction=renderer.signal_visible_fraction(signal, placed))]
        if soft_focus:
            img = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(0.7)))
        img = apply_lighting(img, condition, frame_rng)
        audio = audio_features(placed + beside, frame_rng) if with_audio else None
        record = dict(width=width, height=height, lighting=lighting_from_pixels(img),
                      scene=scene, beside_hazards=beside_hazard_sides(placed + beside,
                                                                      width, height))
        if signal is not None:
            record['traffic_signal'] = SIGNAL_STATES[0 if signal['walk'] else 1]
        frames.append(dict(img=img, record=record,
                           anns=_annotate(annotated, width, height, signal), audio=audio))
    return frames


def generate_split(out_dir: str, split: str, num_items: int, seed: int = 0,
                   width: int = 320, height: int = 240, clip_length: int = 1,
                   with_audio: bool = True, traffic_signal: bool = False) -> str:
    """Write ``num_items`` images (or clips of ``clip_length`` frames) to
    ``out_dir/<split>/``, audio features to ``out_dir/<split>_audio/`` and the COCO file
    ``out_dir/annotations/<split>.json``; returns the annotation file path.
    ``traffic_signal``: the signal set's images (:func:`generate_frames`; ``info`` says so).

    Clip frames carry ``clip_id`` and ``frame_index``; annotations a ``track_id``;
    images an ``audio`` path relative to ``out_dir`` (like ``file_name``).
    """
    for sub in (split, f'{split}_audio', 'annotations'):
        if sub != f'{split}_audio' or with_audio:
            os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    images, annotations = [], []
    for i in range(num_items):
        for t, frame in enumerate(generate_frames(seed, split, i, width, height, clip_length,
                                                  with_audio, traffic_signal=traffic_signal)):
            image_id = len(images) + 1
            stem = f'{i:06d}' if clip_length == 1 else f'{i:05d}_{t:02d}'
            record = dict(id=image_id, file_name=f'{split}/{stem}.png', **frame['record'])
            Image.fromarray(frame['img']).save(osp.join(out_dir, record['file_name']),
                                               compress_level=1)
            if with_audio:
                record['audio'] = f'{split}_audio/{stem}.npy'
                np.save(osp.join(out_dir, record['audio']), frame['audio'])
            if clip_length > 1:
                record.update(clip_id=i + 1, frame_index=t)
            images.append(record)
            for ann in frame['anns']:
                annotations.append(dict(id=len(annotations) + 1, image_id=image_id, **ann))
    info = dict(description=f'MaxSight synthetic street scenes ({split})',
                version=GENERATOR_VERSION, seed=seed, year=2026, clip_length=clip_length)
    if traffic_signal:
        info['traffic_signal'] = SIGNAL_SET_VERSION
    coco = dict(info=info, licenses=[], images=images, annotations=annotations,
                categories=categories(traffic_signal))
    ann_file = osp.join(out_dir, 'annotations', f'{split}.json')
    tmp = ann_file + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(coco, f, indent=None, separators=(',', ':'))
    os.replace(tmp, ann_file)
    return ann_file


def generate_synthetic_dataset(out_dir: str, num_train: int = 1600, num_val: int = 400,
                               seed: int = 0, width: int = 320, height: int = 240,
                               num_train_clips: int = 0, num_val_clips: int = 0,
                               clip_length: int = 4, with_audio: bool = True,
                               num_test: int = 0, traffic_signal: bool = False
                               ) -> Dict[str, str]:
    """Generate the embedded dataset under ``out_dir``: image splits ``train``/``val``,
    when asked a held-out image split ``test`` (its own random stream: never seen while
    tuning on ``val``) and clip splits ``train_clips``/``val_clips``. ``traffic_signal``:
    the signal set's images (:func:`generate_frames`). Returns {split: ann_file}."""
    plan = [('train', num_train, 1), ('val', num_val, 1),
            ('train_clips', num_train_clips, clip_length), ('val_clips', num_val_clips,
                                                            clip_length)]
    files = {split: generate_split(out_dir, split, n, seed, width, height, length, with_audio,
                                   traffic_signal)
             for split, n, length in plan if n > 0 or length == 1}
    if num_test > 0:
        files['test'] = generate_split(out_dir, 'test', num_test, seed, width, height, 1,
                                       with_audio, traffic_signal)
    return files

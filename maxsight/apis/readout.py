"""What a low-vision user would be told about a frame: "danger: car, 2 metres, ahead left".

Per frame the shown detections with urgency caution or above are ranked by urgency (most
urgent first), then by distance (nearest first), at most ``max_items``; each becomes a
short sentence with its urgency, class, distance as spoken and direction. The direction
comes from the box centre and the camera's horizontal field of view: the bearing
``atan((cx - W/2) / f)`` with focal length ``f = (W/2) / tan(fov/2)``, named
ahead (|bearing| < 10 degrees), ahead left / ahead right (< 25), left / right beyond; or
as a clock position (12 ahead, 30 degrees an hour). Distances are spoken to the nearest
half metre below 3 m, the nearest metre below 10 m, the nearest 5 m beyond.

In video, :class:`ReadoutTracker` associates objects across frames (same class, IoU >=
0.3, greedy by IoU) and repeats an object only when it becomes more urgent or at least
``closer_m`` closer than when it was last announced.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from torchvision.ops import box_iou

from ..datasets.labels import URGENCY_NAMES

#: Bearing limits in degrees: ahead within 10, ahead left / right within 25.
AHEAD_DEG, SIDE_DEG = 10.0, 25.0
DEFAULT_FOV_DEG = 70.0


def bearing_deg(cx: float, image_width: int, fov_deg: float = DEFAULT_FOV_DEG) -> float:
    """Horizontal angle (degrees, negative left) of pixel column ``cx``."""
    f = (image_width / 2) / math.tan(math.radians(fov_deg) / 2)
    return math.degrees(math.atan((cx - image_width / 2) / f))


def direction(cx: float, image_width: int, fov_deg: float = DEFAULT_FOV_DEG,
              clock: bool = False) -> str:
    """'left', 'ahead left', 'ahead', 'ahead right', 'right' (or "11 o'clock" ...)."""
    angle = bearing_deg(cx, image_width, fov_deg)
    if clock:
        hour = (12 + int(round(angle / 30.0))) % 12 or 12
        return f"{hour} o'clock"
    if abs(angle) < AHEAD_DEG:
        return 'ahead'
    side = 'left' if angle < 0 else 'right'
    return f'ahead {side}' if abs(angle) < SIDE_DEG else side


def spoken_distance(metres: float) -> str:
    """'half a metre', '1.5 metres', '4 metres', '15 metres' (rounded as spoken)."""
    if metres < 3.0:
        value = max(0.5, round(metres * 2) / 2)
    elif metres < 10.0:
        value = float(round(metres))
    else:
        value = float(5 * round(metres / 5))
    if value == 0.5:
        return 'half a metre'
    text = f'{value:g}'
    return f'{text} metre' if value == 1.0 else f'{text} metres'


@dataclass
class Announcement:
    """One object to tell the user about."""
    class_name: str
    urgency: int
    distance_m: float
    direction: str
    box: List[float] = field(default_factory=list)
    track_id: Optional[int] = None  # set by ReadoutTracker

    def sentence(self) -> str:
        return (f'{URGENCY_NAMES[self.urgency]}: {self.class_name}, '
                f'{spoken_distance(self.distance_m)}, {self.direction}')


def announcements(boxes: np.ndarray, class_names: Sequence[str], urgency: Sequence[int],
                  distance_m: Sequence[float], image_width: int, max_items: int = 5,
                  min_urgency: int = 1, fov_deg: float = DEFAULT_FOV_DEG,
                  clock: bool = False) -> List[Announcement]:
    """The objects worth telling (urgency >= ``min_urgency``), most urgent then nearest
    first, at most ``max_items``. ``boxes`` [N, 4] xyxy pixels of a ``image_width`` wide
    image; the other arguments are per box."""
    items = [Announcement(class_names[i], int(urgency[i]), float(distance_m[i]),
                          direction((boxes[i][0] + boxes[i][2]) / 2, image_width, fov_deg,
                                    clock), [float(v) for v in boxes[i]])
             for i in range(len(boxes)) if int(urgency[i]) >= min_urgency]
    items.sort(key=lambda a: (-a.urgency, a.distance_m))
    return items[:max_items]


def readout_text(items: Sequence[Announcement], scene_urgency: Optional[int],
                 heard: Sequence[str] = ()) -> str:
    """'Scene: warning. Heard on your left: a hazard. Danger: car, 2 metres, ahead left.
    ...' ('Scene: safe.' alone when nothing is worth telling); ``heard``: the sides on
    which a hazard is heard beside the view
    (:func:`~maxsight.datasets.labels.heard_sides`)."""
    parts = [] if scene_urgency is None else [f'Scene: {URGENCY_NAMES[int(scene_urgency)]}.']
    parts += [f'Heard on your {side}: a hazard.' for side in heard]
    parts += [a.sentence()[0].upper() + a.sentence()[1:] + '.' for a in items]
    return ' '.join(parts)


class ReadoutTracker:
    """Announces each object once across video frames, again only when it gets more urgent
    or ``closer_m`` closer (module docstring); forgets objects unseen for ``forget_after``
    frames."""

    def __init__(self, iou_thr: float = 0.3, closer_m: float = 1.0, forget_after: int = 10):
        self.iou_thr, self.closer_m, self.forget_after = iou_thr, closer_m, forget_after
        self.tracks: Dict[int, dict] = {}
        self._next = 1
        self.frame = 0

    def update(self, items: Sequence[Announcement]) -> List[Announcement]:
        """The ``items`` of this frame that should be spoken; every item gets ``track_id``."""
        self.frame += 1
        ids = list(self.tracks)
        pairs = []
        if ids and items:
            ious = box_iou(torch.tensor([a.box for a in items]),
                           torch.tensor([self.tracks[t]['box'] for t in ids])).numpy()
            for i, a in enumerate(items):
                for j, t in enumerate(ids):
                    if a.class_name == self.tracks[t]['class_name'] and \
                            ious[i, j] >= self.iou_thr:
                        pairs.append((ious[i, j], i, t))
        pairs.sort(key=lambda p: -p[0])
        match: Dict[int, int] = {}
        used = set()
        for _, i, t in pairs:
            if i not in match and t not in used:
                match[i] = t
                used.add(t)
        spoken = []
        for i, a in enumerate(items):
            t = match.get(i)
            if t is None:
                t, self._next = self._next, self._next + 1
                self.tracks[t] = dict(class_name=a.class_name, urgency=a.urgency,
                                      distance_m=a.distance_m)
                spoken.append(a)
            else:
                last = self.tracks[t]
                if a.urgency > last['urgency'] or a.distance_m <= last['distance_m'] - \
                        self.closer_m:
                    last.update(urgency=a.urgency, distance_m=a.distance_m)
                    spoken.append(a)
            self.tracks[t].update(box=a.box, seen=self.frame)
            a.track_id = t
        for t in [t for t, v in self.tracks.items()
                  if self.frame - v['seen'] >= self.forget_after]:
            del self.tracks[t]
        return spoken

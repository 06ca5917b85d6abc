"""Derived labels: one documented function per field that an annotation may leave out.

Every function here is the single definition the whole toolkit uses (dataset parsing,
the synthetic generator and the metrics), so derived values are reproducible.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: Lighting buckets in order of brightness (DESIGN section 6).
LIGHTING_BUCKETS = ('dark', 'dim', 'normal', 'bright', 'glare')
#: Distance zones: 0 near (< 2 m), 1 medium (< 5 m), 2 far.
ZONE_NAMES = ('near', 'medium', 'far')
ZONE_EDGES_M = (2.0, 5.0)
#: Urgency levels.
URGENCY_NAMES = ('safe', 'caution', 'warning', 'danger')
#: Hazard prior used for categories that do not declare one.
DEFAULT_HAZARD_PRIOR = 0.5
#: Assumed real height (m) of an object, for distance-from-geometry, when neither the
#: category nor the file's annotated objects give one (:func:`fit_reference_heights`).
REFERENCE_OBJECT_HEIGHT_M = 1.5
#: Fewest annotated objects a reference height is fitted on.
MIN_OBJECTS_TO_FIT = 5
#: Urgency score thresholds between safe|caution|warning|danger.
URGENCY_THRESHOLDS = (0.15, 0.3, 0.5)
#: Share of the proximity term an object that is not approaching keeps (clips).
STILL_OBJECT_SHARE = 0.5
#: Classes whose movement a pedestrian signal governs (the signal set, docs/data.md).
SIGNAL_GOVERNED_CLASSES = ('car', 'bicycle')
#: An image's ``traffic_signal`` in the signal set: traffic held, traffic coming on.
SIGNAL_STATES = ('walk', 'dont_walk')
#: Speed (m/s) at which traffic comes on towards a pedestrian crossing while its signal
#: shows "don't walk" (the signal set): about 15 km/h, a car slowing for the crossing.
SIGNAL_TRAFFIC_SPEED_M_S = 4.0


def zone_from_distance(distance_m: float) -> int:
    """Distance zone of an object ``distance_m`` metres away: 0 near (< 2 m), 1 medium
    (< 5 m), 2 far (>= 5 m)."""
    if distance_m < ZONE_EDGES_M[0]:
        return 0
    if distance_m < ZONE_EDGES_M[1]:
        return 1
    return 2


def distance_from_box(bbox_xywh: Sequence[float], img_height: int,
                      ref_height_m: float = REFERENCE_OBJECT_HEIGHT_M) -> float:
    """Distance in metres guessed from box geometry when an annotation has none.

    Pinhole model with a focal length equal to the image height (about 53 degrees of
    vertical field of view) and an object of ``ref_height_m`` metres (default
    ``REFERENCE_OBJECT_HEIGHT_M``): ``d = H_ref * img_height / box_height_px``, clipped to
    [0.5, 50] m.
    """
    box_h = max(float(bbox_xywh[3]), 1.0)
    return float(np.clip(ref_height_m * img_height / box_h, 0.5, 50.0))


def fit_reference_heights(labels: Sequence[int], ref_heights: Sequence[float],
                          declared: Sequence[Optional[float]]) -> List[Tuple[float, str]]:
    """Reference height (m) of each class for :func:`distance_from_box`, and its source.

    ``labels`` [P] are the classes of the annotated objects and ``ref_heights`` [P] their
    ``distance_m * box_height_px / img_height`` (the height that makes the pinhole guess
    exact for that object); ``declared`` [C] the categories' own ``height_m`` or None.
    Per class: the declared height ('declared'), else the median over its annotated
    objects when it has at least ``MIN_OBJECTS_TO_FIT`` ('fitted on N'), else the median
    over all annotated objects when there are that many ('fitted on all N'), else
    ``REFERENCE_OBJECT_HEIGHT_M`` ('default'). Returns [C] (height, source).
    """
    labels_arr = np.asarray(labels, dtype=np.int64)
    heights = np.asarray(ref_heights, dtype=np.float64)
    pooled = None
    if len(heights) >= MIN_OBJECTS_TO_FIT:
        pooled = (float(np.median(heights)), f'fitted on all {len(heights)}')
    out = []
    for c, given in enumerate(declared):
        own = heights[labels_arr == c]
        if given is not None:
            out.append((float(given), 'declared'))
        elif len(own) >= MIN_OBJECTS_TO_FIT:
            out.append((float(np.median(own)), f'fitted on {len(own)}'))
        elif pooled is not None:
            out.append(pooled)
        else:
            out.append((REFERENCE_OBJECT_HEIGHT_M, 'default'))
    return out


def proximity(distance_m: float) -> float:
    """1 / (1 + max(d - 1, 0) / 2.5): 1 at <= 1 m, 0.5 at 3.5 m."""
    return 1.0 / (1.0 + max(float(distance_m) - 1.0, 0.0) / 2.5)


def centrality(center_x_frac: float) -> float:
    """1 - |cx / W - 0.5|: 1 in the middle of the view, 0.5 at its edges."""
    return 1.0 - abs(float(center_x_frac) - 0.5)


def urgency_score(hazard_prior: float, distance_m: float, center_x_frac: float) -> float:
    """Continuous urgency in [0, 1]: hazard prior x :func:`proximity` x :func:`centrality`."""
    return float(hazard_prior) * proximity(distance_m) * centrality(center_x_frac)


#: The sides of an image's ``beside_hazards`` (a hazard heard beside the view), in the
#: order of the ``beside`` output's two logits.
BESIDE_SIDES = ('left', 'right')
#: P(hazard) from which a side's hazard beside the view is told and counted as alerted
#: (the readout, the pictures and ``AssistiveMetric``'s default ``beside_thr``).
BESIDE_ALERT_THR = 0.5
#: Centrality of an object beside the view: that of the view's edge (:func:`centrality`).
BESIDE_CENTRALITY = 0.5


def beside_urgency(hazard_prior: float, distance_m: float) -> int:
    """Urgency level of an object heard beside the view (out of the picture): the rule of
    :func:`urgency_score` with the centrality of the view's edge, ``BESIDE_CENTRALITY``
    (an object beside the user counts as one at the edge of the view, never as in its
    middle)."""
    return urgency_level(float(hazard_prior) * proximity(distance_m) * BESIDE_CENTRALITY)


def beside_alerts(beside_hazard: Optional[Sequence[float]],
                  thr: float = BESIDE_ALERT_THR) -> np.ndarray:
    """Bool [2] (left, right): whether each side's probability of a hazard heard beside the
    view, ``beside_hazard`` (left, right), is >= ``thr``; no side without that output
    (None)."""
    if beside_hazard is None:
        return np.zeros(len(BESIDE_SIDES), bool)
    return np.asarray(beside_hazard, np.float64) >= thr


def heard_sides(beside_hazard: Optional[Sequence[float]],
                thr: float = BESIDE_ALERT_THR) -> List[str]:
    """The names ('left', 'right') of the sides :func:`beside_alerts` alerts on."""
    return [side for side, a in zip(BESIDE_SIDES, beside_alerts(beside_hazard, thr)) if a]


def time_to_contact(distance_m: float, approach_m_s: float) -> float:
    """Seconds until an object ``distance_m`` metres away, closing at ``approach_m_s``
    (> 0: coming nearer), reaches the camera; ``inf`` when it is still or moving away."""
    return float(distance_m) / approach_m_s if approach_m_s > 0 else float('inf')


def moving_urgency_score(hazard_prior: float, distance_m: float, center_x_frac: float,
                         approach_m_s: float) -> float:
    """Continuous urgency in [0, 1] of an object whose motion is known (clips).

    prior x centrality x max(threat, STILL_OBJECT_SHARE x proximity), with
    threat = 1 / (1 + max(T - 1, 0) / 2) of the time to contact T (s; 1 at <= 1 s, 0.5 at
    3 s, 0 when not approaching), and proximity and centrality as in
    :func:`urgency_score`: an approaching car is a danger, the same car parked or leaving
    counts as half an obstacle.
    """
    ttc = time_to_contact(distance_m, approach_m_s)
    threat = 0.0 if ttc == float('inf') else 1.0 / (1.0 + max(ttc - 1.0, 0.0) / 2.0)
    return (float(hazard_prior) * centrality(center_x_frac)
            * max(threat, STILL_OBJECT_SHARE * proximity(distance_m)))


def signal_urgency_score(hazard_prior: float, distance_m: float, center_x_frac: float,
                         traffic_held: bool) -> float:
    """Continuous urgency in [0, 1] of a vehicle at a pedestrian signal (the signal set).

    The clip rule (:func:`moving_urgency_score`) with the motion the signal implies: while
    it shows "don't walk" traffic comes on at ``SIGNAL_TRAFFIC_SPEED_M_S`` (time to
    contact ``distance_m / SIGNAL_TRAFFIC_SPEED_M_S``); while it shows "walk" traffic is
    held and the stopped vehicle is a still obstacle, as a parked car in a clip
    (approach 0).
    """
    approach = 0.0 if traffic_held else SIGNAL_TRAFFIC_SPEED_M_S
    return moving_urgency_score(hazard_prior, distance_m, center_x_frac, approach)


def urgency_level(score: float) -> int:
    """Urgency level 0 safe .. 3 danger of a score in [0, 1] (``URGENCY_THRESHOLDS``)."""
    return int(np.searchsorted(URGENCY_THRESHOLDS, score, side='right'))


def urgency_from_fields(hazard_prior: Optional[float], distance_m: float,
                        center_x_frac: float) -> int:
    """Urgency level 0 safe .. 3 danger from :func:`urgency_score` with thresholds
    ``URGENCY_THRESHOLDS`` (0.15, 0.3, 0.5)."""
    prior = DEFAULT_HAZARD_PRIOR if hazard_prior is None else hazard_prior
    return urgency_level(urgency_score(prior, distance_m, center_x_frac))


def scene_urgency(object_urgencies: Sequence[int]) -> int:
    """Scene urgency of an image: the highest urgency among its objects (0 if none)."""
    return int(max(object_urgencies, default=0))


def luma(img_rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma Y in 0..255 of an RGB image [H, W, 3] (uint8 or float)."""
    img = img_rgb.astype(np.float32)
    return 0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]


def lighting_from_pixels(img_rgb: np.ndarray) -> str:
    """Lighting bucket of an RGB image [H, W, 3] (DESIGN section 6).

    ``glare`` if more than 5 % of pixels have Y >= 250, else by mean Y: ``dark`` < 50,
    ``dim`` < 100, ``normal`` < 170, ``bright`` otherwise. A complete partition.
    """
    y = luma(img_rgb)
    if float((y >= 250).mean()) > 0.05:
        return 'glare'
    mean_y = float(y.mean())
    if mean_y < 50:
        return 'dark'
    if mean_y < 100:
        return 'dim'
    if mean_y < 170:
        return 'normal'
    return 'bright'

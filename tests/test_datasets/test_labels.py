import numpy as np
import pytest

from maxsight.datasets.labels import (LIGHTING_BUCKETS, lighting_from_pixels,
                                      urgency_from_fields, zone_from_distance)


def test_zone_edges():
    assert [zone_from_distance(d) for d in (0.3, 1.999, 2.0, 4.999, 5.0, 40)] == \
        [0, 0, 1, 1, 2, 2]


def test_urgency_monotone_in_proximity_and_prior():
    far = [urgency_from_fields(0.9, d, 0.5) for d in (1, 2, 4, 8, 16)]
    assert far == sorted(far, reverse=True) and far[0] == 3 and far[-1] == 0
    assert urgency_from_fields(0.1, 1.0, 0.5) < urgency_from_fields(0.9, 1.0, 0.5)


@pytest.mark.parametrize('mean_y,bucket', [(10, 'dark'), (49, 'dark'), (50, 'dim'),
                                           (99, 'dim'), (100, 'normal'), (169, 'normal'),
                                           (170, 'bright'), (240, 'bright')])
def test_lighting_thresholds(mean_y, bucket):
    assert lighting_from_pixels(np.full((8, 8, 3), mean_y, np.uint8)) == bucket


def test_lighting_glare_needs_more_than_5_percent():
    img = np.full((10, 10, 3), 60, np.uint8)
    img.reshape(-1, 3)[:5] = 255
    assert lighting_from_pixels(img) == 'dim'  # exactly 5 %: not glare
    img.reshape(-1, 3)[:6] = 255
    assert lighting_from_pixels(img) == 'glare'


def test_every_random_image_gets_exactly_one_bucket():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        img = (rng.random((6, 6, 3)) ** rng.uniform(0.05, 8) * 255).astype(np.uint8)
        bucket = lighting_from_pixels(img)
        assert bucket in LIGHTING_BUCKETS
        seen.add(bucket)
    assert seen == set(LIGHTING_BUCKETS)


def test_urgency_score_terms_and_thresholds_by_hand():
    from maxsight.datasets.labels import URGENCY_THRESHOLDS, urgency_score
    # proximity 1 / (1 + max(d - 1, 0) / 2.5), centrality 1 - |cx - 0.5|
    assert urgency_score(0.8, 0.5, 0.5) == pytest.approx(0.8)          # <= 1 m, centre
    assert urgency_score(0.8, 1.0, 0.5) == pytest.approx(0.8)
    assert urgency_score(0.8, 3.5, 0.5) == pytest.approx(0.4)          # proximity 0.5
    assert urgency_score(1.0, 6.0, 0.0) == pytest.approx(0.5 / 3.0)    # 1/3 x 0.5
    assert urgency_score(0.6, 2.0, 0.9) == pytest.approx(0.6 / 1.4 * 0.6)
    assert URGENCY_THRESHOLDS == (0.15, 0.3, 0.5)
    # the level is the number of thresholds at or below the score (searchsorted right)
    cases = {0.149: 0, 0.15: 1, 0.299: 1, 0.3: 2, 0.499: 2, 0.5: 3, 1.0: 3}
    for score, level in cases.items():
        assert urgency_from_fields(score, 1.0, 0.5) == level, score
    assert urgency_from_fields(None, 1.0, 0.5) == 3  # default prior 0.5 -> score 0.5


def test_distance_from_box_is_the_pinhole_guess_clipped():
    from maxsight.datasets.labels import distance_from_box
    assert distance_from_box([0, 0, 10, 30], 240) == pytest.approx(1.5 * 240 / 30)
    assert distance_from_box([0, 0, 10, 480], 240) == 0.75
    assert distance_from_box([0, 0, 10, 1000], 240) == 0.5     # clipped below
    assert distance_from_box([0, 0, 10, 2], 240) == 50.0       # clipped above
    assert distance_from_box([0, 0, 10, 0.2], 10) == 15.0      # height floor 1 px


def test_luma_is_rec601():
    from maxsight.datasets.labels import luma
    px = np.array([[[200, 100, 50]]], np.uint8)
    assert float(luma(px)[0, 0]) == pytest.approx(0.299 * 200 + 0.587 * 100 + 0.114 * 50)
    # a pure channel image sits on the bucket edge its weight puts it on
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 167  # Y = 49.9: dark; 168 -> 50.2: dim
    assert lighting_from_pixels(red) == 'dark'
    red[..., 0] = 168
    assert lighting_from_pixels(red) == 'dim'
    glare = np.zeros((10, 10, 3), np.uint8)
    glare.reshape(-1, 3)[:6] = (250, 250, 250)  # Y = 250 exactly counts as glare
    assert lighting_from_pixels(glare) == 'glare'


def test_scene_urgency_of_a_scene_without_objects_is_safe():
    from maxsight.datasets.labels import scene_urgency
    assert scene_urgency([]) == 0 and scene_urgency([1, 3, 0]) == 3


def test_fit_reference_heights_sources_and_medians():
    from maxsight.datasets.labels import fit_reference_heights
    # class 0: 5 objects, median 2.0; class 1: 1 object -> the median of all 6 (sorted
    # 1, 1.5, 2, 2, 3, 9 -> 2.0); class 2 declares its height
    labels = [0, 0, 0, 0, 0, 1]
    heights = [1.0, 2.0, 2.0, 3.0, 9.0, 1.5]
    out = fit_reference_heights(labels, heights, [None, None, 0.4])
    assert out == [(2.0, 'fitted on 5'), (2.0, 'fitted on all 6'), (0.4, 'declared')]
    # exactly 5 in all, none of them 5 in a class: every class takes the median of all 5
    assert fit_reference_heights([0, 0, 0, 0, 1], [1.0, 2.0, 3.0, 4.0, 5.0], [None, None]) \
        == [(3.0, 'fitted on all 5'), (3.0, 'fitted on all 5')]
    # fewer than 5 annotated objects in all: the 1.5 m default
    assert fit_reference_heights([0, 0], [3.0, 3.0], [None]) == [(1.5, 'default')]
    assert fit_reference_heights([], [], [None, 2.0]) == [(1.5, 'default'), (2.0, 'declared')]


def test_moving_urgency_from_time_to_contact_by_hand():
    from maxsight.datasets.labels import (moving_urgency_score, time_to_contact,
                                          urgency_from_fields, urgency_level)
    assert time_to_contact(4.0, 2.0) == 2.0
    assert time_to_contact(4.0, 0.0) == float('inf') == time_to_contact(4.0, -1.0)
    # a car (prior 0.95) 4 m ahead in the middle: T = 2 s -> threat 1 / (1 + 1 / 2) = 2/3
    assert moving_urgency_score(0.95, 4.0, 0.5, 2.0) == pytest.approx(0.95 * 2 / 3)
    assert urgency_level(0.95 * 2 / 3) == 3                                 # danger
    # parked or leaving: half the proximity 1 / (1 + 3 / 2.5) -> 0.95 x 0.5 x 0.4545
    parked = 0.95 * 0.5 / (1 + 3 / 2.5)
    assert moving_urgency_score(0.95, 4.0, 0.5, 0.0) == pytest.approx(parked)
    assert moving_urgency_score(0.95, 4.0, 0.5, -1.0) == pytest.approx(parked)
    assert urgency_level(parked) == 1                                      # caution
    # the static rule (single images) calls the same car a warning either way
    assert urgency_from_fields(0.95, 4.0, 0.5) == 2
    # slow approach: the proximity share wins; within 1 s of contact: full threat; edge
    assert moving_urgency_score(0.95, 4.0, 0.5, 0.1) == pytest.approx(parked)
    assert moving_urgency_score(0.5, 2.0, 0.0, 4.0) == pytest.approx(0.5 * 0.5)
    assert [urgency_level(v) for v in (0.1499, 0.15, 0.3, 0.5)] == [0, 1, 2, 3]


def test_signal_urgency_holds_traffic_at_walk_by_hand():
    from maxsight.datasets.labels import (SIGNAL_GOVERNED_CLASSES, SIGNAL_TRAFFIC_SPEED_M_S,
                                          moving_urgency_score, signal_urgency_score,
                                          urgency_level)
    assert SIGNAL_GOVERNED_CLASSES == ('car', 'bicycle')
    assert SIGNAL_TRAFFIC_SPEED_M_S == 4.0
    # a car (prior 0.95) 2 m ahead in the middle at "don't walk": it comes on at 4 m/s,
    # contact in 0.5 s, threat 1
    moving = signal_urgency_score(0.95, 2.0, 0.5, traffic_held=False)
    assert moving == pytest.approx(0.95)
    assert urgency_level(moving) == 3                                      # danger
    # held at "walk": a still obstacle, half its proximity 1 / (1 + 1 / 2.5) = 5/7
    held = signal_urgency_score(0.95, 2.0, 0.5, traffic_held=True)
    assert held == pytest.approx(0.95 * 0.5 * 5 / 7)
    assert held == pytest.approx(moving_urgency_score(0.95, 2.0, 0.5, 0.0))
    assert urgency_level(held) == 2                                        # warning
    # a bicycle (0.7) at the edge of the view (centrality 0.5), 12 m away, coming on:
    # contact in 3 s, threat 1 / (1 + 2 / 2) = 0.5: 0.7 x 0.5 x 0.5, a caution; held:
    # 0.7 x 0.5 x 0.5 / (1 + 11 / 2.5), safe
    assert signal_urgency_score(0.7, 12.0, 1.0, False) == pytest.approx(0.175)
    assert urgency_level(0.175) == 1
    assert signal_urgency_score(0.7, 12.0, 1.0, True) == pytest.approx(0.175 / 5.4)

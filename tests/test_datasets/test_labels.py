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

"""The readout a user hears: directions from the field of view, distances as spoken,
ranking, scene naming and tracking across frames (module docstring's rules by hand)."""
import math

import numpy as np
import pytest

from maxsight.apis.readout import (Announcement, ReadoutTracker, announcements, bearing_deg,
                                   direction, readout_text, spoken_distance)
from maxsight.datasets.labels import BESIDE_ALERT_THR, heard_sides


def test_bearing_and_direction_from_the_field_of_view():
    w = 640
    f = 320 / math.tan(math.radians(35))  # 70 degrees across 640 px
    assert bearing_deg(320, w) == 0.0
    assert bearing_deg(640, w) == pytest.approx(35.0)
    assert bearing_deg(320 + f * math.tan(math.radians(10)), w) == pytest.approx(10.0)
    cols = {deg: 320 + f * math.tan(math.radians(deg)) for deg in (-30, -20, -9.9, 0, 9.9,
                                                                    10.1, 24.9, 25.1)}
    assert [direction(cols[d], w) for d in sorted(cols)] == [
        'left', 'ahead left', 'ahead', 'ahead', 'ahead', 'ahead right', 'ahead right',
        'right']
    assert direction(0, w, fov_deg=120) == 'left'  # 60 degrees left
    clock = [direction(320 + f * math.tan(math.radians(d)), w, clock=True)
             for d in (-34, -16, 0, 14, 16, 34)]
    assert clock == ["11 o'clock", "11 o'clock", "12 o'clock", "12 o'clock", "1 o'clock",
                     "1 o'clock"]
    assert direction(0, w, fov_deg=179, clock=True) == "9 o'clock"


def test_distances_are_rounded_as_spoken():
    assert [spoken_distance(d) for d in (0.1, 0.7, 0.8, 1.1, 2.26, 2.9, 3.4, 9.6, 12.4, 13)] \
        == ['half a metre', 'half a metre', '1 metre', '1 metre', '2.5 metres', '3 metres',
            '3 metres', '10 metres', '10 metres', '15 metres']


def test_ranking_by_urgency_then_distance_and_the_scene_line():
    boxes = np.array([[0, 0, 10, 10], [300, 0, 340, 10], [600, 0, 640, 10], [0, 0, 5, 5],
                      [310, 0, 330, 5]], np.float32)
    items = announcements(boxes, ['dog', 'car', 'pole', 'bench', 'person'], [2, 3, 2, 0, 3],
                          [4.0, 8.0, 1.2, 1.0, 2.0], image_width=640)
    assert [a.sentence() for a in items] == [
        'danger: person, 2 metres, ahead', 'danger: car, 8 metres, ahead',
        'warning: pole, 1 metre, right', 'warning: dog, 4 metres, left']
    assert len(announcements(boxes, ['a'] * 5, [1] * 5, [1.0] * 5, 640, max_items=2)) == 2
    assert readout_text(items[:1], 3) == 'Scene: danger. Danger: person, 2 metres, ahead.'
    assert readout_text([], 0) == 'Scene: safe.'


def test_hazards_heard_beside_the_view_are_told_after_the_scene():
    """A side is told from the metric's threshold on (inclusive); a model without the
    output tells none."""
    from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric
    assert BESIDE_ALERT_THR == AssistiveMetric().beside_thr == 0.5
    assert heard_sides((0.5, 0.49)) == ['left'] and heard_sides((0.1, 0.9)) == ['right']
    assert heard_sides(None) == [] and heard_sides((0.6, 0.7), thr=0.65) == ['right']
    item = Announcement('car', 3, 2.0, 'ahead', [0.0, 0.0, 4.0, 4.0])
    assert readout_text([item], 3, ['left', 'right']) == (
        'Scene: danger. Heard on your left: a hazard. Heard on your right: a hazard. '
        'Danger: car, 2 metres, ahead.')


def _item(name, urgency, dist, x):
    return Announcement(name, urgency, dist, 'ahead', [x, 0.0, x + 40.0, 40.0])


def test_tracker_repeats_an_object_only_when_more_urgent_or_closer():
    tr = ReadoutTracker(closer_m=1.0)
    assert [a.sentence() for a in tr.update([_item('car', 2, 9.0, 0)])] == [
        'warning: car, 9 metres, ahead']
    assert tr.update([_item('car', 2, 8.5, 2)]) == []            # same car, 0.5 m closer
    assert len(tr.update([_item('car', 2, 7.9, 4)])) == 1         # 1.1 m closer than told
    assert tr.update([_item('car', 2, 7.5, 6)]) == []
    assert len(tr.update([_item('car', 3, 7.4, 8)])) == 1         # more urgent
    spoken = tr.update([_item('car', 3, 7.3, 10), _item('dog', 1, 3.0, 300),
                        _item('person', 3, 7.0, 12)])             # new objects are told
    assert [a.class_name for a in spoken] == ['dog', 'person']
    ids = {a.class_name: a.track_id for a in spoken}
    assert ids['dog'] != ids['person']
    for _ in range(10):  # unseen for 10 frames: forgotten, then told again
        tr.update([])
    assert len(tr.update([_item('car', 3, 7.3, 10)])) == 1

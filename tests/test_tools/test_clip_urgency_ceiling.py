"""The single-frame ceiling of clip urgency, hand-computed on a tiny file."""
import json
import math

import pytest

from maxsight.analysis.clip_urgency_ceiling import single_frame_ceiling
from maxsight.datasets.coco_parsing import AnnotationError
from maxsight.datasets.labels import moving_urgency_score, urgency_level


def _file(path, objects):
    """Objects (approach m/s, urgency) of a class with prior 1.0, 2 m ahead, centred."""
    anns = [dict(id=i + 1, image_id=1, category_id=1, bbox=[40, 10, 20, 20], area=400,
                 iscrowd=0, distance_m=2.0, approach_m_s=v, urgency=u)
            for i, (v, u) in enumerate(objects)]
    path.write_text(json.dumps(dict(
        images=[dict(id=1, file_name='a.png', width=100, height=60)], annotations=anns,
        categories=[dict(id=1, name='car', hazard_prior=1.0)])))
    return str(path)


def test_ceiling_hand_computed(tmp_path):
    # 2 m ahead, centred, prior 1: closing at 2 m/s, contact in 1 s: score 1, danger (3);
    # leaving: half of proximity 1 / (1 + 1 / 2.5) = 0.357, warning (2); closing at
    # 0.6 m/s, contact in 3.33 s: threat 1 / (1 + 2.33 / 2) = 0.462, warning (2)
    assert urgency_level(moving_urgency_score(1.0, 2.0, 0.5, 2.0)) == 3
    assert moving_urgency_score(1.0, 2.0, 0.5, -1.0) == pytest.approx(0.5 / 1.4)
    assert moving_urgency_score(1.0, 2.0, 0.5, 0.6) == pytest.approx(1 / (1 + (2 / 0.6 - 1) / 2))
    assert urgency_level(0.5 / 1.4) == urgency_level(0.462) == 2
    # the training speeds make danger the likelier call (2 of 3) for every test object
    train = _file(tmp_path / 'train.json', [(2.0, 3), (2.0, 3), (-1.0, 2)])
    test = _file(tmp_path / 'test.json', [(2.0, 3), (0.6, 2), (-1.0, 2), (math.nan, 1)])
    out = single_frame_ceiling(train, test)
    # moving: the approaching two and the leaving one (1 m/s), the slow one is not
    assert out == dict(acc_approaching=0.5, acc_not_approaching=0.0, acc=pytest.approx(1 / 3),
                       acc_moving=pytest.approx(1 / 3), n_approaching=2, n_not_approaching=1,
                       n_moving=3)  # the unknown motion is left out
    # with leaving the likelier speed, the call is warning: right on both slow objects
    train = _file(tmp_path / 'train.json', [(2.0, 3), (-1.0, 2), (-1.0, 2)])
    assert single_frame_ceiling(train, test) == dict(
        acc_approaching=0.5, acc_not_approaching=1.0, acc=pytest.approx(2 / 3),
        acc_moving=pytest.approx(2 / 3), n_approaching=2, n_not_approaching=1, n_moving=3)


def test_still_images_are_refused_naming_the_record_and_field(tmp_path):
    train = _file(tmp_path / 'train.json', [(2.0, 3)])
    still = json.loads(open(train).read())
    del still['annotations'][0]['approach_m_s']
    (tmp_path / 'still.json').write_text(json.dumps(still))
    with pytest.raises(AnnotationError, match=r'still\.json: annotation 1: field '
                                              r'"approach_m_s" missing'):
        single_frame_ceiling(train, str(tmp_path / 'still.json'))

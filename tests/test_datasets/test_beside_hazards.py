"""Hazards beside the view (heard, not seen): the generator's rule by hand, a source that
changes the sound and nothing else, the annotation field's parsing and the flip."""
import inspect

import numpy as np
import pytest

from maxsight.datasets import AnnotationError, parse_coco_file
from maxsight.datasets.labels import BESIDE_CENTRALITY, beside_urgency, centrality
from maxsight.datasets.synthetic import generator
from maxsight.datasets.synthetic.generator import CLASSES, beside_hazard_sides, generate_frames
from maxsight.datasets.transforms import RandomFlip

CLS = {c.name: c for c in CLASSES}


def _obj(name, distance, x_m, box):
    return dict(cls=CLS[name], distance=distance, x_m=x_m, box=box)


def test_beside_urgency_is_the_rule_at_the_edge_of_the_view_by_hand():
    assert BESIDE_CENTRALITY == centrality(0.0) == centrality(1.0) == 0.5
    # car 0.95 x proximity(2.0) = 1 / (1 + 1 / 2.5) x 0.5 = 0.339: warning (>= 0.3)
    assert beside_urgency(0.95, 2.0) == 2
    # car at 3 m: 0.95 / 1.8 x 0.5 = 0.264: caution; bicycle at 1.6 m: 0.7 / 1.24 x 0.5 = 0.282
    assert beside_urgency(0.95, 3.0) == 1 and beside_urgency(0.7, 1.6) == 1


def test_a_hazard_beside_the_view_is_a_sounding_object_out_of_the_picture_by_hand():
    w, h = 100, 80
    left_car = _obj('car', 2.0, -3.0, [-60.0, 10.0, -5.0, 70.0])
    far_car = _obj('car', 3.0, 4.0, [120.0, 10.0, 160.0, 70.0])  # caution only
    seen_car = _obj('car', 2.0, -1.0, [-60.0, 10.0, 1.5, 70.0])  # 1.5 px: not in picture
    stairs = _obj('stairs', 1.6, 3.0, [110.0, 10.0, 160.0, 70.0])  # silent
    assert beside_hazard_sides([left_car, far_car, stairs], w, h) == ['left']
    assert beside_hazard_sides([seen_car], w, h) == ['left']
    seen_car['box'][2] = 2.0  # 2 x 60 pixels in the picture: annotated, not beside
    assert beside_hazard_sides([seen_car, far_car], w, h) == []
    right = _obj('car', 1.7, 3.0, [105.0, 10.0, 170.0, 70.0])
    assert beside_hazard_sides([right, left_car], w, h) == ['left', 'right']


def test_the_source_beside_the_view_changes_the_sound_and_nothing_else(monkeypatch):
    """Pictures and annotations are those of a scene without the source; the labelled side
    is the louder ear in at least 9 of 10 one-sided scenes (the sine law)."""
    with_source = [generate_frames(5, 'train', i, 128, 96)[0] for i in range(60)]
    monkeypatch.setattr(generator, 'BESIDE_SOURCE_SHARE', 0.0)
    without = [generate_frames(5, 'train', i, 128, 96)[0] for i in range(60)]
    sides = [f['record']['beside_hazards'] for f in with_source]
    assert sum(map(bool, sides)) >= 3 and all(s == [] for s in
                                              (f['record']['beside_hazards'] for f in without))
    heard = 0
    for a, b in zip(with_source, without):
        assert np.array_equal(a['img'], b['img']) and a['anns'] == b['anns']
        heard += not np.array_equal(a['audio'], b['audio'])
    assert 20 <= heard <= 40  # about BESIDE_SOURCE_SHARE of 60 scenes
    louder = [float(np.exp(f['audio'][0]).sum() > np.exp(f['audio'][1]).sum())
              == (s == ['left']) for f, s in zip(with_source, sides) if len(s) == 1]
    assert np.mean(louder) >= 0.9


def _image(**extra):
    return dict(id=1, file_name='a.png', width=40, height=30, **extra)


@pytest.mark.parametrize('value, expected', [(['left'], [1, 0]), (['right', 'left'], [1, 1]),
                                             ([], [0, 0]), (None, None)])
def test_beside_hazards_become_left_right_flags(coco_writer, value, expected):
    extra = {} if value is None else dict(beside_hazards=value)
    info = parse_coco_file(coco_writer([_image(**extra)], [], [dict(id=1, name='car')])
                           ).data_list[0]
    if expected is None:
        assert info['beside_hazard'] is None
    else:
        assert info['beside_hazard'].tolist() == expected


@pytest.mark.parametrize('value', ['left', ['up'], ['left', 'left'], [1], [['left']],
                                   [{'side': 'left'}]])
def test_bad_beside_hazards_name_the_image_and_field(coco_writer, value):
    ann_file = coco_writer([_image(beside_hazards=value)], [], [dict(id=1, name='car')])
    with pytest.raises(AnnotationError, match=r'images\[id=1\]: field "beside_hazards": '
                                              r"expected a list of distinct sides from "
                                              r"\['left', 'right'\]"):
        parse_coco_file(ann_file)


def test_flipping_swaps_the_sides_of_the_hazards_beside_the_view():
    img = np.zeros((8, 10, 3), np.uint8)
    out = RandomFlip(prob=1.0)(dict(img=img, beside_hazard=np.array([1, 0], np.float32)))
    assert out['beside_hazard'].tolist() == [0, 1]
    kept = RandomFlip(prob=0.0)(dict(img=img, beside_hazard=np.array([1, 0], np.float32)))
    assert kept['beside_hazard'].tolist() == [1, 0]
    assert RandomFlip(prob=1.0)(dict(img=img, beside_hazard=None))['beside_hazard'] is None


def test_the_documented_beside_source_constants_and_every_source_out_of_the_picture():
    """docs/data.md states these; a source drawn partly into the picture would be a
    hazard both seen and labelled as unseen."""
    from maxsight.datasets.synthetic.audio import SOUNDING_CLASSES
    from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    assert (generator.BESIDE_SOURCE_SHARE, generator.BESIDE_CAR_SHARE) == (0.5, 0.5)
    assert generator.BESIDE_DISTANCE_M == (1.6, 4.0)
    assert generator.BESIDE_MARGIN_M == (0.1, 1.0)
    assert SOUNDING_CLASSES == ('car', 'bicycle', 'dog', 'person')
    head = inspect.signature(MultiTaskDenseHead.__init__).parameters
    assert head['beside_out'].default is False
    assert head['loss_beside'].default is None and head['beside_channels'].default == 32
    from mmengine.config import Config
    from maxsight.models.heads.beside_output import UNFITTED_HAZARD_LOGIT
    assert UNFITTED_HAZARD_LOGIT == -4.0  # docs/model.md: P(hazard) before a fit
    # T5's refit fits its motion refiner: its beside output trains alongside
    assert Config.fromfile('configs/t5_temporal.py').model.bbox_head.loss_beside == dict(
        type='CrossEntropyLoss', loss_weight=0.2)
    for fitted in ('t4_cross_modal', 't4_clip_frames_finetune'):  # by the answer refit
        assert 'loss_beside' not in Config.fromfile(f'configs/{fitted}.py').model.bbox_head
    assert inspect.signature(AssistiveMetric.__init__).parameters['beside_thr'].default == 0.5
    renderer = generator.SceneRenderer(np.random.default_rng(0), 320, 240)
    rng = np.random.default_rng(1)
    sources = [s for s in (renderer.sample_beside_source(rng) for _ in range(400)) if s]
    assert 150 <= len(sources) <= 250
    for s in sources:
        x0, _, x1, _ = renderer.box_of(s)
        assert x1 < 0 or x0 > 320, s
        assert generator.BESIDE_DISTANCE_M[0] <= s['distance'] <= generator.BESIDE_DISTANCE_M[1]
    cars = sum(s['cls'].name == 'car' for s in sources) / len(sources)
    assert 0.4 <= cars <= 0.6

"""Whether a model reads the signal set's signal, hand-computed on a tiny file."""
import importlib.util
import json
import os.path as osp

import pytest

from maxsight.analysis.signal_reading import reading_by_state, signal_blind_ceiling
from maxsight.datasets.coco_parsing import AnnotationError
from maxsight.datasets.synthetic.generator import SIGNAL_SET_VERSION

from ..helpers import ROOT


def _file(path, signal=True):
    """Image 1 at "walk", image 2 at "don't walk" (100 px wide). Cars (prior 0.95): 2 m
    ahead and centred in both (held: 0.95 x 5/7 / 2 = 0.34, warning; coming on: 0.95,
    danger), and in image 2 one 40 m away at the left edge (centrality 0.55; coming on:
    contact in 10 s, 0.95 x 0.55 / 5.5 = 0.095; held: 0.95 x 0.55 x 0.5 / 16.6 = 0.016:
    safe either way) and a crowd region; a person, not a vehicle."""
    def car(i, image, bbox, d, urgency):
        return dict(id=i, image_id=image, category_id=3, bbox=bbox, area=bbox[2] * bbox[3],
                    iscrowd=0, distance_m=d, urgency=urgency, urgency_context=True)
    anns = [car(1, 1, [40, 10, 20, 20], 2.0, 2),
            dict(id=2, image_id=1, category_id=1, bbox=[5, 5, 10, 30], area=300, iscrowd=0,
                 distance_m=3.0, urgency=1),
            car(3, 2, [40, 10, 20, 20], 2.0, 3),
            car(4, 2, [0, 30, 10, 10], 40.0, 0),
            dict(car(5, 2, [70, 30, 10, 10], 2.0, 3), iscrowd=1)]
    info = dict(traffic_signal=SIGNAL_SET_VERSION) if signal else {}
    path.write_text(json.dumps(dict(
        info=info,
        images=[dict(id=1, file_name='a.png', width=100, height=60, traffic_signal='walk'),
                dict(id=2, file_name='b.png', width=100, height=60,
                     traffic_signal='dont_walk')],
        annotations=anns,
        categories=[dict(id=1, name='person', hazard_prior=0.45),
                    dict(id=3, name='car', hazard_prior=0.95)])))
    return str(path)


PREDICTIONS = [
    # image 1: a person box on the car, scored higher, must not take it; the car, right
    dict(image_id=1, category_id=1, bbox=[40, 10, 20, 20], score=0.95, urgency=0),
    dict(image_id=1, category_id=3, bbox=[41, 10, 20, 20], score=0.9, urgency=2),
    # image 2: the near car called a warning (it is a danger); the far one only at 0.2
    dict(image_id=2, category_id=3, bbox=[40, 11, 20, 20], score=0.8, urgency=2),
    dict(image_id=2, category_id=3, bbox=[0, 30, 10, 10], score=0.2, urgency=0),
]


def test_ceiling_and_reading_by_state_hand_computed(tmp_path):
    ann = _file(tmp_path / 'a.json')
    preds = tmp_path / 'p.json'
    preds.write_text(json.dumps(PREDICTIONS))
    # three non-crowd vehicles; only the far one has one level in both states:
    # 1/3 + 1/2 x 2/3 = 2/3
    assert signal_blind_ceiling(ann) == pytest.approx(dict(acc=2 / 3, same_share=1 / 3, n=3))
    rows = reading_by_state(ann, str(preds))
    assert rows['walk'] == pytest.approx(dict(n=1, acc=1.0, true_mean=2.0, pred_mean=2.0))
    assert rows['dont_walk'] == pytest.approx(dict(n=1, acc=0.0, true_mean=3.0, pred_mean=2.0))
    rows = reading_by_state(ann, str(preds), score_thr=0.1)  # the far car now matched
    assert rows['dont_walk'] == pytest.approx(dict(n=2, acc=0.5, true_mean=1.5, pred_mean=1.0))
    rows = reading_by_state(ann, str(preds), score_thr=0.1, iou_thr=0.99)  # only the far
    assert rows['walk']['n'] == 0 and rows['dont_walk']['n'] == 1  # car's box is exact


def test_the_tool_prints_both_and_refuses_a_file_without_the_signal(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'signal_reading', osp.join(ROOT, 'tools', 'analysis_tools', 'signal_reading.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    preds = tmp_path / 'p.json'
    preds.write_text(json.dumps(PREDICTIONS))
    out = tool.main([_file(tmp_path / 'a.json'), str(preds)])
    assert out[str(preds)]['walk']['acc'] == 1.0
    text = capsys.readouterr().out
    assert '3 vehicles, 33.3% with the same level in both states' in text
    assert 'signal-blind ceiling of urgency/acc_context 0.667' in text
    assert 'dont_walk     1 matched  acc 0.000  mean level true 3.00 predicted 2.00' in text
    # both matching thresholds reach the matching: only the far car's box is exact
    out = tool.main([_file(tmp_path / 'a.json'), str(preds), '--score-thr', '0.1',
                     '--iou-thr', '0.99'])
    assert out[str(preds)]['walk']['n'] == 0 and out[str(preds)]['dont_walk']['n'] == 1
    with pytest.raises(AnnotationError, match='info.traffic_signal missing: not a signal-set'):
        tool.main([_file(tmp_path / 'plain.json', signal=False)])


def test_the_rule_inputs_of_each_annotation_by_hand(tmp_path):
    """The prior and centre the ceilings feed the urgency rule: a wrong class lookup, a
    centre from the box's left edge or over the height would change them."""
    from maxsight.analysis.rule_inputs import with_rule_inputs
    data = json.loads(open(_file(tmp_path / 'a.json')).read())
    rows = [(a['id'], prior, cx) for a, prior, cx in
            with_rule_inputs(data, 'a.json', data['annotations'][:4])]
    assert rows == [(1, 0.95, 0.5), (2, 0.45, 0.1), (3, 0.95, 0.5), (4, 0.95, 0.05)]
    del data['categories'][0]['hazard_prior']
    with pytest.raises(AnnotationError, match=r'a\.json: category 1: field "hazard_prior" '
                       'missing'):
        list(with_rule_inputs(data, 'a.json', data['annotations']))

"""tools/analysis_tools/hazard_recall_breakdown.py: hand-computed bins, the metric's
matching, and one-line errors for bad prediction files."""
import json

import pytest

from maxsight.evaluation import hazard_breakdown as hrb
from maxsight.utils.errors import ToolError


def _ann(id, img, cat, bbox, urgency, **extra):
    return dict(id=id, image_id=img, category_id=cat, bbox=bbox, area=bbox[2] * bbox[3],
                iscrowd=extra.pop('iscrowd', 0), urgency=urgency, **extra)


def _det(img, cat, bbox, score, urgency):
    return dict(image_id=img, category_id=cat, bbox=bbox, score=score, urgency=urgency)


@pytest.fixture
def files(tmp_path):
    coco = dict(
        info={}, images=[dict(id=1, file_name='a.png', width=100, height=100),
                         dict(id=2, file_name='b.png', width=100, height=100)],
        categories=[dict(id=5, name='car'), dict(id=7, name='pole')],
        annotations=[
            _ann(1, 1, 5, [0, 0, 40, 40], 3, occlusion=0.0),
            _ann(2, 1, 7, [50, 50, 40, 40], 2, occlusion=0.6),
            _ann(3, 2, 5, [10, 10, 50, 50], 2, occlusion=0.4),
            _ann(4, 2, 7, [60, 0, 30, 30], 0, occlusion=0.0),        # not a hazard
            _ann(5, 2, 5, [0, 62, 30, 30], 3, occlusion=0.0, iscrowd=1),  # ignored
            _ann(6, 2, 7, [60, 60, 30, 30], 2)])                     # no occlusion field
    dets = [
        _det(1, 5, [0, 0, 40, 40], 0.95, 1),    # takes object 1 first (greedy by score) ...
        _det(1, 5, [1, 1, 40, 40], 0.9, 3),     # ... so this danger report matches nothing
        _det(1, 5, [50, 50, 40, 40], 0.8, 3),   # object 2 under the wrong class
        _det(1, 7, [50, 50, 40, 40], 0.2, 3),   # right class, below the score threshold
        _det(2, 5, [10, 10, 50, 50], 0.7, 1),   # object 3 found, reported as caution
        _det(2, 7, [60, 60, 30, 16.5], 0.5, 2)]  # object 6 found (IoU 0.55) and reported
    ann, pred = tmp_path / 'ann.json', tmp_path / 'pred.json'
    ann.write_text(json.dumps(coco))
    pred.write_text(json.dumps(dets))
    return str(ann), str(pred)


def test_hand_computed_bins(files):
    rows = hrb.hazard_breakdown(*files)
    assert rows == {
        '[0, 0.01)': dict(hazards=1, detected=1, reported=0, recall=0.0),
        '[0.3, 0.5)': dict(hazards=1, detected=1, reported=0, recall=0.0),
        '[0.5, 0.65)': dict(hazards=1, detected=0, reported=0, recall=0.0),
        'n/a': dict(hazards=1, detected=1, reported=1, recall=1.0),
        'all': dict(hazards=4, detected=3, reported=1, recall=0.25)}
    table = hrb.format_table(rows, 'occlusion', (0.0, 0.01, 0.3, 0.5, 0.65, 1.01))
    assert table.splitlines()[2] == '| [0, 0.01) | 1 | 1 | 0 | 0.000 |'
    assert table.splitlines()[-1] == '| all | 4 | 3 | 1 | 0.250 |'
    # a lower display threshold finds object 2 (right class, score 0.2) and reports it
    low = hrb.hazard_breakdown(*files, score_thr=0.1)
    assert low['all'] == dict(hazards=4, detected=4, reported=2, recall=0.5)


def test_bad_prediction_files_name_record_and_field(files, tmp_path):
    ann, _ = files
    cases = [([dict(image_id=1, category_id=5, bbox=[0, 0, 1, 1], score=0.5)],
              "detection [0]: field 'urgency' missing"),
             ([_det(9, 5, [0, 0, 1, 1], 0.5, 2)], 'detection [0]: field image_id'),
             ([_det(1, 5, [0, 0, 1, 1], 0.5, 2), _det(1, 3, [0, 0, 1, 1], 0.5, 2)],
              'detection [1]: field category_id: unknown category 3'),
             ([_det(1, 5, [0, 0, 1], 0.5, 2)], 'detection [0]: field bbox'),
             ({'not': 'a list'}, 'expected a list of detections')]
    for i, (content, message) in enumerate(cases):
        bad = tmp_path / f'bad{i}.json'
        bad.write_text(json.dumps(content))
        with pytest.raises(ToolError, match=message.replace('[', r'\[').replace(']', r'\]')) \
                as err:
            hrb.hazard_breakdown(ann, str(bad))
        # the tools' runner adds 'error: ' once; the message starts with the file
        assert not str(err.value).startswith('error'), err.value
    with pytest.raises(ToolError, match='--bins'):
        hrb.hazard_breakdown(ann, files[1], bins=(0.5, 0.1))


def test_all_row_equals_assistive_metric(files):
    """The tool's ``all`` recall is ``AssistiveMetric``'s ``urgency/hazard_recall``."""
    import torch

    from maxsight.datasets.coco_parsing import parse_coco_file
    from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric
    ann, pred = files
    parsed = parse_coco_file(ann)
    dets = json.load(open(pred))
    metric = AssistiveMetric()
    for info in parsed.data_list:
        gts = [g for g in info['instances'] if not g['ignore_flag']]
        mine = [d for d in dets if d['image_id'] == info['img_id']]
        n, m = len(gts), len(mine)
        gt = dict(bboxes=torch.tensor([g['bbox'] for g in gts]),
                  labels=torch.tensor([g['bbox_label'] for g in gts]),
                  distance_zone=torch.zeros(n, dtype=torch.long), distance_m=torch.ones(n),
                  urgency=torch.tensor([g['urgency'] for g in gts]),
                  zone_derived=torch.zeros(n, dtype=torch.bool),
                  urgency_derived=torch.zeros(n, dtype=torch.bool))
        out = dict(bboxes=torch.tensor([[x, y, x + w, y + h] for x, y, w, h in
                                        (d['bbox'] for d in mine)], dtype=torch.float32),
                   labels=torch.tensor([parsed.cat_ids.index(d['category_id']) for d in mine]),
                   scores=torch.tensor([d['score'] for d in mine]),
                   distance_zone=torch.zeros(m, dtype=torch.long), distance_m=torch.ones(m),
                   urgency=torch.tensor([d['urgency'] for d in mine]))
        metric.process({}, [dict(gt_instances=gt, pred_instances=out)])
    res = metric.evaluate(len(parsed.data_list))
    assert res['urgency/hazard_recall'] == hrb.hazard_breakdown(ann, pred)['all']['recall']
    assert res['urgency/hazard_recall'] == 0.25

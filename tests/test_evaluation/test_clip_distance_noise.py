"""tools/analysis_tools/clip_distance_noise.py: frame noise against object bias, by hand."""
import json
import math

import pytest

from maxsight.evaluation.clip_distance_noise import distance_noise, format_noise
from maxsight.utils.errors import ToolError

LN2 = math.log(2.0)


def _img(id, clip=None, frame=None):
    img = dict(id=id, file_name=f'{id}.png', width=100, height=100)
    if clip is not None:
        img.update(clip_id=clip, frame_index=frame)
    return img


def _ann(id, img, bbox, distance, track=None):
    ann = dict(id=id, image_id=img, category_id=3, bbox=bbox, area=bbox[2] * bbox[3],
               iscrowd=0, distance_m=distance, urgency=0)
    if track is not None:
        ann['track_id'] = track
    return ann


def _det(img, bbox, distance, score=0.9):
    return dict(image_id=img, category_id=3, bbox=bbox, score=score, distance_m=distance,
                distance_zone=2, urgency=0)


A, B = [0, 0, 30, 30], [50, 50, 30, 30]


@pytest.fixture
def files(tmp_path):
    """Clip 1 (frames 0-2): track 1 at 4 m predicted 8, 4, 2 (a trend in the error: log
    errors ln 2, 0, -ln 2) and track 2 at 2 m predicted 4, 1, 4 (scatter: ln 2, -ln 2,
    ln 2). Clip 2: track 1 (another object, same id) at 10 m predicted 5 in its one frame.
    Not counted: an object in an image outside any clip, and one whose only detection is
    below the display threshold."""
    images = [_img(1, 1, 0), _img(2, 1, 1), _img(3, 1, 2), _img(4, 2, 0), _img(5)]
    anns = [_ann(1, 1, A, 4.0, 1), _ann(2, 2, A, 4.0, 1), _ann(3, 3, A, 4.0, 1),
            _ann(4, 1, B, 2.0, 2), _ann(5, 2, B, 2.0, 2), _ann(6, 3, B, 2.0, 2),
            _ann(7, 4, A, 10.0, 1), _ann(8, 5, A, 3.0), _ann(9, 4, B, 3.0, 5)]
    dets = [_det(1, A, 8.0), _det(2, A, 4.0), _det(3, A, 2.0),
            _det(1, B, 4.0), _det(2, B, 1.0), _det(3, B, 4.0),
            _det(4, A, 5.0), _det(5, A, 30.0), _det(4, B, 30.0, score=0.1)]
    coco = dict(info={}, images=images, categories=[dict(id=3, name='car')],
                annotations=anns)
    ann, pred = tmp_path / 'ann.json', tmp_path / 'pred.json'
    ann.write_text(json.dumps(coco))
    pred.write_text(json.dumps(dets))
    return str(ann), str(pred), tmp_path


def test_frame_noise_and_bias_by_hand(files):
    row = distance_noise(*files[:2])
    assert (row['objects'], row['tracks']) == (7, 3)
    assert row['mae_m'] == pytest.approx((4 + 0 + 2 + 2 + 1 + 2 + 5) / 7)
    # track means: 0, ln 2 / 3, -ln 2; the trend of track 1 goes with its noise
    cube = 2 ** (1 / 3) - 1
    assert row['mae_m_without_frame_noise'] == pytest.approx((3 * 2 * cube + 5) / 7)
    # a line keeps track 1's trend; track 2's line is flat at ln 2 / 3; one frame stays
    assert row['mae_m_without_line_scatter'] == pytest.approx((4 + 0 + 2 + 3 * 2 * cube + 5) / 7)
    # deviations from the track means: ln 2, 0, -ln 2; 2/3, -4/3, 2/3 ln 2; 0
    assert row['sd_frame'] == pytest.approx(LN2 * math.sqrt((2 + 24 / 9) / 7))
    biases = [0.0] * 3 + [LN2 / 3] * 3 + [-LN2]
    mean = sum(biases) / 7
    assert row['sd_object'] == pytest.approx(math.sqrt(sum((b - mean) ** 2 for b in biases) / 7))
    table = format_noise(row)
    assert table.splitlines()[0] == '7 found objects in 3 tracks'
    assert f"| distance MAE m | {16 / 7:.4f} |" in table


def test_refusals_name_the_file_and_field(files):
    ann, pred, tmp = files
    stills = tmp / 'stills.json'
    coco = json.loads(open(ann).read())
    for img in coco['images']:
        img.pop('clip_id', None)
        img.pop('frame_index', None)
    stills.write_text(json.dumps(coco))
    with pytest.raises(ToolError, match='no found object is in a clip track'):
        distance_noise(str(stills), pred)
    dets = json.loads(open(pred).read())
    del dets[1]['distance_m']
    bad = tmp / 'bad.json'
    bad.write_text(json.dumps(dets))
    with pytest.raises(ToolError, match=r'annotation id=2: field distance_m: expected a '
                                        r'positive number \(m\), got None'):
        distance_noise(ann, str(bad))
    dets[1]['distance_m'] = 0  # no object is 0 m away: refused as well
    bad.write_text(json.dumps(dets))
    with pytest.raises(ToolError, match=r'annotation id=2: field distance_m: expected a '
                                        r'positive number \(m\), got 0'):
        distance_noise(ann, str(bad))


def test_clip_objects_are_found_as_the_metric_finds_them_by_default():
    import inspect

    from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric
    mine = inspect.signature(distance_noise).parameters
    metric = inspect.signature(AssistiveMetric).parameters
    for key in ('score_thr', 'iou_thr'):
        assert mine[key].default == metric[key].default, key

"""maxsight.apis: init_model + inference give what the test loop gives; the documented
example."""
import dataclasses
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from maxsight.apis import inference, init_model
from maxsight.datasets.transforms.loading import read_rgb
from maxsight.registry import DATASETS, MODELS

from ..helpers import ROOT  # noqa: E402
CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


@pytest.fixture(scope='module')
def checkpoint(tiny_synth, tmp_path_factory):
    """A tiny-T2 checkpoint (random weights) carrying the dataset's class names."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.bbox_head.num_classes = 8
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ds = _dataset(tiny_synth)
    path = str(tmp_path_factory.mktemp('api') / 'tiny.pth')
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': list(ds.metainfo['classes'])}}}, path)
    return path


def _dataset(root):
    cfg = Config.fromfile(CONFIG)
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = root + '/'
    return DATASETS.build(ds_cfg)


def _opts(root):
    return {'test_dataloader.dataset.data_root': root + '/'}


def test_inference_equals_the_test_loop_prediction(tiny_synth, checkpoint):
    model = init_model(CONFIG, checkpoint, cfg_options=_opts(tiny_synth))
    ds = _dataset(tiny_synth)
    sample = ds[0]
    expected = model.test_step(pseudo_collate([sample]))[0].pred_instances
    path = sample['data_samples'].metainfo['img_path']
    result = inference(model, path)
    assert len(result) == len(expected.scores) == 100
    # same pixels, same pipeline; float32 kernels may differ in the last bit between calls
    np.testing.assert_allclose(result.boxes, expected.bboxes.numpy(), atol=1e-4)
    np.testing.assert_allclose(result.scores, expected.scores.numpy(), atol=1e-6)
    np.testing.assert_allclose(result.distance_m, expected.distance_m.numpy(), rtol=1e-5)
    assert result.class_names == [ds.metainfo['classes'][int(c)] for c in expected.labels]
    # an RGB array gives the same; a list gives one result per image
    from_array = inference(model, read_rgb(path))
    np.testing.assert_allclose(from_array.boxes, result.boxes, atol=1e-4)
    both = inference(model, [path, read_rgb(path)])
    assert len(both) == 2
    np.testing.assert_allclose(both[1].scores, result.scores, atol=1e-6)
    top = result.objects()[0]
    assert top['score'] == float(result.scores.max())
    assert top['urgency'] in ('safe', 'caution', 'warning', 'danger')


def test_wrong_inputs_are_clear_errors(tiny_synth, checkpoint, tmp_path):
    model = init_model(CONFIG, checkpoint, cfg_options=_opts(tiny_synth))
    with pytest.raises(ValueError, match=r'image 0: expected RGB uint8 \[H, W, 3\]'):
        inference(model, np.zeros((10, 10), np.float32))
    state = torch.load(checkpoint, weights_only=True)
    state['state_dict'] = {k: v for k, v in state['state_dict'].items()
                           if not k.startswith('encoder.')}
    other = str(tmp_path / 'other.pth')
    torch.save(state, other)
    with pytest.raises(ValueError, match='does not match the model'):
        init_model(CONFIG, other, cfg_options=_opts(tiny_synth))


def test_documented_api_example_runs(tiny_synth, checkpoint, capsys):
    readme = open(osp.join(ROOT, 'docs', 'tools.md')).read()
    code = re.search(r'## Python API.*?```python\n(.*?)```', readme, re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    image = osp.join(tiny_synth, 'val', '000000.png')
    code = (code.replace("'configs/t2_default.py'", repr(CONFIG))
            .replace("'work_dirs/t2_default/epoch_10.pth'",
                     f"{checkpoint!r}, cfg_options={_opts(tiny_synth)!r}")
            .replace("'data/maxsight_synth/val/000000.png'", repr(image)))
    exec(compile(code, 'docs/tools.md', 'exec'), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and all(line.endswith(('safe', 'caution', 'warning', 'danger'))
                                   for line in lines)


def test_init_model_uses_the_checkpoints_operating_point_unless_told_not_to(
        tiny_synth, checkpoint, tmp_path):
    from maxsight.engine.hooks import store_operating_point
    op = dict(hazard_prob_thr=0.25, hazard_score_exponent=0.55, score_thr=0.4)
    calibrated = store_operating_point(checkpoint, op, str(tmp_path / 'cal.pth'))
    model = init_model(CONFIG, calibrated, cfg_options=_opts(tiny_synth))
    cfg = model.bbox_head.test_cfg
    assert (cfg['hazard_prob_thr'], cfg['hazard_score_exponent'],
            model.display_score_thr) == (0.25, 0.55, 0.4)
    own = init_model(CONFIG, calibrated, cfg_options=dict(_opts(tiny_synth),
                                                          use_operating_point=False))
    assert own.bbox_head.test_cfg['hazard_prob_thr'] == 0.1
    assert not hasattr(own, 'display_score_thr')


def test_result_shows_one_box_per_object_reads_out_and_plots(tiny_synth, checkpoint,
                                                             tmp_path):
    from PIL import Image

    from maxsight.apis import DetectionResult
    from maxsight.visualization import DISPLAY_NMS_IOU
    boxes = np.array([[0, 0, 40, 40], [1, 1, 41, 41], [100, 0, 140, 40], [200, 0, 240, 40]],
                     np.float32)
    img = np.zeros((60, 320, 3), np.uint8)
    r = DetectionResult(boxes=boxes, scores=np.array([0.9, 0.8, 0.5, 0.1], np.float32),
                        labels=np.array([0, 1, 0, 0]), class_names=['car', 'door', 'car', 'car'],
                        distance_m=np.array([2.0, 2.1, 6.0, 1.0], np.float32),
                        distance_zone=np.array([1, 1, 2, 0]), urgency=np.array([3, 0, 1, 3]),
                        scene_urgency=1, image_shape=(60, 320), score_thr=0.3, image=img)
    assert DISPLAY_NMS_IOU == 0.6
    shown = r.shown()  # the door overlaps the car (IoU 0.9): one object; 0.1 is below 0.3
    assert shown.class_names == ['car', 'car'] and shown.scores.tolist() == [
        pytest.approx(0.9), 0.5]
    assert len(r.shown(nms_iou=None)) == 3 and len(r.shown(0.05)) == 3
    assert r.readout() == ('Scene: danger. Danger: car, 2 metres, left. '
                           'Caution: car, 6 metres, ahead.')  # 9.9 degrees left
    heard = dataclasses.replace(r, beside_hazard=(0.2, 0.8))
    assert heard.shown().beside_hazard == (0.2, 0.8)
    assert heard.readout() == ('Scene: danger. Heard on your right: a hazard. Danger: car, '
                               '2 metres, left. Caution: car, 6 metres, ahead.')
    pic = r.plot()
    assert pic.shape[0] > 480 and pic.shape[1] == round(320 * 480 / 60)  # scaled up
    assert Image.open(r.save(str(tmp_path / 'r.png'))).size == (pic.shape[1], pic.shape[0])
    with pytest.raises(ValueError, match='needs the image'):
        DetectionResult(boxes=boxes[:0], scores=np.zeros(0), labels=np.zeros(0, int),
                        class_names=[], distance_m=np.zeros(0), distance_zone=np.zeros(0),
                        urgency=np.zeros(0), scene_urgency=0).plot()
    model = init_model(CONFIG, checkpoint, cfg_options=_opts(tiny_synth))
    path = _dataset(tiny_synth)[0]['data_samples'].metainfo['img_path']
    result = inference(model, path)
    assert result.score_thr == 0.3 and result.image.shape == (96, 128, 3)
    assert result.readout().startswith('Scene: ')

import json

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from maxsight.evaluation import CocoMetric
from maxsight.evaluation.metrics.coco_metric import COCO_KEYS

CATS = [dict(id=5, name='a'), dict(id=17, name='b')]


def _gt(coco_writer, info):
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i in range(1, 7):
        images.append(dict(id=i, file_name=f'{i}.png', width=100, height=80))
        for _ in range(int(rng.integers(1, 5))):
            x, y = rng.uniform(0, 60), rng.uniform(0, 40)
            w, h = rng.uniform(5, 35), rng.uniform(5, 35)
            anns.append(dict(id=len(anns) + 1, image_id=i, category_id=int(rng.choice([5, 17])),
                             bbox=[x, y, w, h], area=w * h, iscrowd=int(rng.random() < 0.1)))
    return coco_writer(images, anns, CATS, info=info), anns


def _samples(anns, rng):
    """Noisy copies of the ground truth plus random false positives, per image."""
    samples = []
    for img_id in range(1, 7):
        boxes, labels, scores = [], [], []
        for a in anns:
            if a['image_id'] == img_id:
                x, y, w, h = np.array(a['bbox']) + rng.normal(0, 2, 4)
                boxes.append([x, y, x + abs(w), y + abs(h)])
                labels.append(0 if a['category_id'] == 5 else 1)
                scores.append(rng.uniform(0.3, 1))
        for _ in range(3):
            x, y = rng.uniform(0, 80, 2)
            boxes.append([x, y, x + 10, y + 10])
            labels.append(int(rng.integers(0, 2)))
            scores.append(rng.uniform(0, 0.6))
        n = len(boxes)
        samples.append(dict(img_id=img_id, pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32),
            scores=torch.tensor(scores, dtype=torch.float32), labels=torch.tensor(labels),
            distance_m=torch.full((n,), 3.0), distance_zone=torch.ones(n, dtype=torch.long),
            urgency=torch.zeros(n, dtype=torch.long))))
    return samples


@pytest.mark.parametrize('info', [True, False])
def test_equals_pycocotools(coco_writer, tmp_path, info):
    ann_file, anns = _gt(coco_writer, info)
    pred_out = str(tmp_path / 'preds.bbox.json')
    metric = CocoMetric(ann_file=ann_file, pred_out=pred_out)
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, _samples(anns, np.random.default_rng(1)))
    ours = metric.evaluate(6)
    # reference: plain pycocotools on the written results file
    gt = COCO(ann_file) if info else None
    if gt is None:
        data = json.load(open(ann_file))
        data['info'] = {}
        fixed = tmp_path / 'with_info.json'
        fixed.write_text(json.dumps(data))
        gt = COCO(str(fixed))
    preds = json.load(open(pred_out))
    assert {p['category_id'] for p in preds} <= {5, 17}
    ref = COCOeval(gt, gt.loadRes(pred_out), 'bbox')
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    assert ref.stats[0] > 0.3  # the noisy copies are good detections
    for key, value in zip(COCO_KEYS, ref.stats[:6]):
        assert ours[f'coco/{key}'] == pytest.approx(float(value), abs=1e-12)


def test_empty_predictions_give_zero(coco_writer):
    ann_file, _ = _gt(coco_writer, True)
    metric = CocoMetric(ann_file=ann_file)
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    empty = dict(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                 labels=torch.zeros(0, dtype=torch.long), distance_m=torch.zeros(0),
                 distance_zone=torch.zeros(0, dtype=torch.long),
                 urgency=torch.zeros(0, dtype=torch.long))
    metric.process({}, [dict(img_id=i, pred_instances=empty) for i in range(1, 7)])
    assert metric.evaluate(6) == {f'coco/{k}': 0.0 for k in COCO_KEYS}


def test_faster_coco_eval_backend_gives_identical_numbers(coco_writer):
    pytest.importorskip('faster_coco_eval')
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(2))
    results = {}
    for backend in ('pycocotools', 'faster_coco_eval'):
        metric = CocoMetric(ann_file=ann_file, backend=backend, quiet=True)
        metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
        metric.process({}, samples)
        results[backend] = metric.evaluate(6)
    for key, value in results['pycocotools'].items():
        assert results['faster_coco_eval'][key] == pytest.approx(value, abs=1e-12)


def test_auto_backend_resolves_to_an_installed_one():
    from maxsight.evaluation.metrics.coco_metric import resolve_backend
    assert resolve_backend('auto') in ('pycocotools', 'faster_coco_eval')
    assert resolve_backend('pycocotools') == 'pycocotools'


def test_unknown_backend_fails_at_build():
    with pytest.raises(ValueError, match='backend must be one of'):
        CocoMetric(ann_file='x.json', backend='detectron')


def test_lighting_metric_per_bucket(coco_writer):
    from maxsight.evaluation import LightingMetric
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(3))
    for s, bucket in zip(samples, ['dark', 'dark', 'glare', 'normal', 'normal', 'normal']):
        s['lighting'] = bucket
    metric = LightingMetric(ann_file=ann_file)  # backend auto: faster-coco-eval if installed
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, samples)
    res = metric.evaluate(6)
    assert res['lighting/dark/num_images'] == 2 and 'lighting/bright/bbox_mAP' not in res
    # reference: pycocotools restricted to the dark images
    gt = COCO(ann_file)
    from maxsight.evaluation.metrics.coco_metric import to_coco_results
    dark = [dict(img_id=s['img_id'], **{k: v.numpy() for k, v in s['pred_instances'].items()})
            for s in samples[:2]]
    ref = COCOeval(gt, gt.loadRes(to_coco_results(dark, (5, 17))), 'bbox')
    ref.params.imgIds = [1, 2]
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    assert res['lighting/dark/bbox_mAP'] == pytest.approx(ref.stats[0], abs=1e-12)
    rec = ref.eval['recall'][0, :, 0, -1]
    assert res['lighting/dark/recall'] == pytest.approx(rec[rec > -1].mean(), abs=1e-12)


def test_results_file_holds_exactly_the_evaluated_detections(coco_writer, tmp_path):
    ann_file, _ = _gt(coco_writer, True)
    pred_out = str(tmp_path / 'p.json')
    metric = CocoMetric(ann_file=ann_file, pred_out=pred_out, quiet=True)
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, [dict(img_id=np.int64(2), pred_instances=dict(
        bboxes=torch.tensor([[10., 20., 40., 60.], [0.5, 1.5, 2.5, 9.5]]),
        scores=torch.tensor([0.75, 0.5]), labels=torch.tensor([1, 0]),
        distance_m=torch.tensor([2.5, 7.25]), distance_zone=torch.tensor([0, 2]),
        urgency=torch.tensor([3, 1])))])
    metric.evaluate(1)
    text = open(pred_out).read()
    assert json.loads(text) == [
        dict(image_id=2, category_id=17, bbox=[10.0, 20.0, 30.0, 40.0], score=0.75,
             distance_m=2.5, distance_zone=0, urgency=3),
        dict(image_id=2, category_id=5, bbox=[0.5, 1.5, 2.0, 8.0], score=0.5,
             distance_m=7.25, distance_zone=2, urgency=1)]
    assert '"distance_zone": 0, "urgency": 3' in text  # integers, not 0.0 / 3.0


def test_to_coco_results_keeps_float64_precision():
    from maxsight.evaluation.metrics.coco_metric import to_coco_results
    box = np.array([[1 / 3, 0.1, 2 / 3, 0.7]], np.float64)
    out = to_coco_results([dict(img_id=1, bboxes=box, labels=np.array([0]),
                                scores=np.array([1 / 3]), distance_m=np.array([1 / 7]),
                                distance_zone=np.array([1.0]), urgency=np.array([2.0]))],
                          cat_ids=[9])
    assert out[0]['bbox'] == [1 / 3, 0.1, 2 / 3 - 1 / 3, 0.7 - 0.1]
    assert out[0]['score'] == 1 / 3 and out[0]['distance_m'] == 1 / 7
    assert type(out[0]['distance_zone']) is int and type(out[0]['urgency']) is int
    assert to_coco_results([dict(img_id=1, bboxes=np.zeros(0), labels=np.zeros(0, int),
                                 scores=np.zeros(0), distance_m=np.zeros(0),
                                 distance_zone=np.zeros(0), urgency=np.zeros(0))],
                           cat_ids=[9]) == []


def test_per_class_ap_is_the_area_all_max_dets_100_precision_mean(coco_writer):
    from maxsight.evaluation.metrics.coco_metric import per_class_ap
    ann_file, anns = _gt(coco_writer, True)
    metric = CocoMetric(ann_file=ann_file, quiet=True)
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, _samples(anns, np.random.default_rng(1)))
    metric.evaluate(6)
    precision = metric.last_eval.eval['precision']
    aps = per_class_ap(metric.last_eval, ('a', 'b'))
    for k, name in enumerate(('a', 'b')):
        p = precision[:, :, k, 0, 2]  # areaRng 'all', maxDets 100
        assert aps[name] == float(p[p >= 0].mean()) and 0.2 < aps[name] < 1


def test_per_class_ap_of_a_class_without_ground_truth_is_nan():
    from types import SimpleNamespace

    from maxsight.evaluation.metrics.coco_metric import per_class_ap
    precision = np.full((10, 101, 2, 4, 3), -1.0)
    precision[:, :, 0, 0, 2] = 0.5
    precision[:, :, 0, 1:, :] = 0.9  # other areas / maxDets are not read
    precision[:, :, 0, 0, :2] = 0.1
    aps = per_class_ap(SimpleNamespace(eval=dict(precision=precision)), ('a', 'b'))
    assert aps['a'] == 0.5 and np.isnan(aps['b'])


def test_ground_truth_gets_the_keys_load_res_needs_and_keeps_its_own(tmp_path):
    from maxsight.evaluation.metrics.coco_metric import load_coco_gt
    base = dict(images=[dict(id=1, file_name='1.png', width=10, height=10)],
                annotations=[], categories=[dict(id=1, name='a')])
    bare = tmp_path / 'bare.json'
    bare.write_text(json.dumps(base))
    coco = load_coco_gt(str(bare))
    assert coco.dataset['info'] == {} and coco.dataset['licenses'] == []
    assert coco.getImgIds() == [1]
    own = tmp_path / 'own.json'
    own.write_text(json.dumps(dict(base, info=dict(year=2026), licenses=[dict(id=3)])))
    coco = load_coco_gt(str(own))
    assert coco.dataset['info'] == dict(year=2026) and coco.dataset['licenses'] == [dict(id=3)]


def test_quiet_silences_the_cocoeval_table_and_defaults(coco_writer, capsys):
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(1))
    default = CocoMetric(ann_file=ann_file)
    assert (default.classwise, default.quiet, default.backend, default.prefix) == (
        True, False, 'pycocotools', 'coco')
    assert CocoMetric(prefix='val').prefix == 'val'
    for quiet in (False, True):
        metric = CocoMetric(ann_file=ann_file, quiet=quiet)
        metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
        metric.process({}, samples)
        capsys.readouterr()
        metric.evaluate(6)
        printed = capsys.readouterr().out
        assert ('Average Precision  (AP) @[ IoU=0.50:0.95' in printed) == (not quiet)


def test_missing_optional_backend_says_how_to_install_it(monkeypatch):
    import sys

    from maxsight.evaluation.metrics.coco_metric import resolve_backend
    monkeypatch.setitem(sys.modules, 'faster_coco_eval', None)  # import fails
    assert resolve_backend('auto') == 'pycocotools'
    with pytest.raises(ImportError, match=r'^CocoMetric\(backend="faster_coco_eval"\) needs '
                                          r'the optional package faster-coco-eval: pip install'
                                          r' -r requirements/optional.txt$'):
        CocoMetric(ann_file='x.json', backend='faster_coco_eval')


def test_compute_without_ann_file_says_what_to_set():
    metric = CocoMetric()
    with pytest.raises(ValueError, match='ann_file is not set'):
        metric.compute_metrics([])


def test_lighting_metric_reports_every_bucket_with_images_and_zero_for_no_detections(
        coco_writer, capsys):
    from maxsight.evaluation import LightingMetric
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(3))
    # no dim image: a bucket without images is skipped, the later ones still reported
    for s, bucket in zip(samples, ['dark', 'glare', 'normal', 'normal', 'bright', 'glare']):
        s['lighting'] = bucket
    for s in samples[1::4]:  # the glare images (1 and 5) get no detections at all
        s['pred_instances'] = {k: v[:0] for k, v in s['pred_instances'].items()}
    metric = LightingMetric(ann_file=ann_file, backend='pycocotools')
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, samples)
    capsys.readouterr()
    res = metric.evaluate(6)
    assert 'Average Precision' not in capsys.readouterr().out  # quiet: no COCOeval table
    assert sorted(res) == sorted(f'lighting/{b}/{k}' for b in ('dark', 'normal', 'bright',
                                                             'glare')
                                 for k in ('bbox_mAP', 'recall', 'num_images'))
    assert res['lighting/glare/bbox_mAP'] == 0.0 and res['lighting/glare/recall'] == 0.0
    assert res['lighting/glare/num_images'] == 2.0 and res['lighting/normal/num_images'] == 2.0
    assert res['lighting/normal/bbox_mAP'] > 0.05 and res['lighting/normal/recall'] > 0.2


def test_recall_at_iou50_reads_iou_050_all_areas_100_detections():
    from types import SimpleNamespace

    from maxsight.evaluation.metrics.lighting_metric import recall_at_iou50
    recall = np.full((10, 2, 4, 3), 0.9)  # [T, K, A, M]
    recall[0, :, 0, 2] = [0.4, -1.0]  # IoU 0.5, all areas, 100 detections; class 2 absent
    assert recall_at_iou50(SimpleNamespace(eval=dict(recall=recall))) == 0.4
    assert recall_at_iou50(SimpleNamespace(eval=dict(recall=np.full((10, 1, 4, 3), -1.0)))) \
        == 0.0


def test_a_subset_of_the_images_is_evaluated_on_those_images_only(coco_writer):
    """mAP over the processed images only (a partial or sharded evaluation), as pycocotools
    with imgIds set to them: the unprocessed images' objects are not counted as missed."""
    ann_file, anns = _gt(coco_writer, True)
    samples = [s for s in _samples(anns, np.random.default_rng(4)) if s['img_id'] in (2, 3, 5)]
    metric = CocoMetric(ann_file=ann_file, backend='pycocotools')
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, samples)
    res = metric.evaluate(3)
    from maxsight.evaluation.metrics.coco_metric import to_coco_results
    gt = COCO(ann_file)
    preds = [dict(img_id=s['img_id'], **{k: v.numpy() for k, v in s['pred_instances'].items()})
             for s in samples]
    ref = COCOeval(gt, gt.loadRes(to_coco_results(preds, (5, 17))), 'bbox')
    ref.params.imgIds = [2, 3, 5]
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    assert [res[f'coco/{k}'] for k in COCO_KEYS] == pytest.approx(list(ref.stats[:6]),
                                                               abs=1e-12)


def test_lighting_buckets_follow_their_images_across_batches(coco_writer):
    from maxsight.evaluation import LightingMetric
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(3))
    for s, bucket in zip(samples, ['dark', 'dark', 'dark', 'glare', 'glare', 'normal']):
        s['lighting'] = bucket
    metric = LightingMetric(ann_file=ann_file, backend='pycocotools')
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    for start in range(0, 6, 2):  # three batches of two
        metric.process({}, samples[start:start + 2])
    assert [r['lighting'] for r in metric.results] == ['dark', 'dark', 'dark', 'glare',
                                                       'glare', 'normal']
    res = metric.evaluate(6)
    assert (res['lighting/dark/num_images'], res['lighting/glare/num_images'],
            res['lighting/normal/num_images']) == (3.0, 2.0, 1.0)


def test_a_bucket_without_detections_does_not_end_the_report_and_kwargs_reach_the_base(
        coco_writer):
    from maxsight.evaluation import LightingMetric
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(3))
    for s, bucket in zip(samples, ['dark', 'dark', 'normal', 'normal', 'bright', 'glare']):
        s['lighting'] = bucket
    for s in samples[:2]:  # dark, the first bucket, has no detections
        s['pred_instances'] = {k: v[:0] for k, v in s['pred_instances'].items()}
    metric = LightingMetric(ann_file=ann_file, backend='pycocotools', prefix='light')
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, samples)
    res = metric.evaluate(6)
    assert res['light/dark/bbox_mAP'] == 0.0
    assert res['light/normal/bbox_mAP'] > 0.0 and 'light/glare/bbox_mAP' in res


@pytest.mark.parametrize('lighting', [False, True])
def test_images_of_another_file_are_refused_by_name(coco_writer, lighting):
    """A work dir's saved config keeps the evaluator's filled-in ann_file; scoring another
    split's images against it matched them with the wrong objects of the same ids."""
    from maxsight.evaluation import LightingMetric
    ann_file, anns = _gt(coco_writer, True)
    samples = _samples(anns, np.random.default_rng(1))
    for s in samples:
        s['img_path'] = f'data/root/{s["img_id"]}.png'  # file_name: '<id>.png'
        s['lighting'] = 'normal'
    metric_cls = LightingMetric if lighting else CocoMetric
    metric = metric_cls(ann_file=ann_file, backend='pycocotools')
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
    metric.process({}, samples)
    assert metric.evaluate(6)  # the same images: scored
    samples[2]['img_path'] = 'data/root/13.png'
    samples[4]['img_id'] = 99
    for sample, message in (
            (samples[2], rf"^{ann_file}: image id 3 is '3.png' there but the evaluated image 3 "
                         r"was loaded from 'data/root/13.png': set the evaluator's "
                         r"ann_file to None .*test_evaluator.0.ann_file=None"),
            (samples[4], rf'^{ann_file}: has no image id 99, which was evaluated: set the ')):
        metric = metric_cls(ann_file=ann_file, backend='pycocotools')
        metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=(5, 17))
        metric.process({}, [sample])
        with pytest.raises(ValueError, match=message):
            metric.evaluate(1)


def test_an_image_path_ends_with_its_file_name_part_by_part():
    from types import SimpleNamespace

    from maxsight.evaluation.metrics.coco_metric import check_evaluated_images
    gt = SimpleNamespace(imgs={1: dict(file_name='val/0001.png')})
    # a data_prefix adds folders in front of the file's name
    for path in ('data/x/val/0001.png', './data/x//val/0001.png', 'val/0001.png', None):
        check_evaluated_images(gt, [dict(img_id=1, img_path=path)], 'a.json')
    for path in ('data/x/myval/0001.png', 'data/x/train/0001.png', 'data/x/val/10001.png'):
        with pytest.raises(ValueError, match='a.json: image id 1'):
            check_evaluated_images(gt, [dict(img_id=1, img_path=path)], 'a.json')

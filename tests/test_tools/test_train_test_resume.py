"""One short end-to-end run of the real tools: train, test, --resume (SIGKILL + --resume:
test_exact_resume.py)."""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from ..helpers import ROOT

pytestmark = pytest.mark.slow  # runs the tools end to end

# the default runtime's after-training hooks, which the tiny config leaves out, are on here
CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2_hooks.py')


def _data_opts(root):
    return [f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val', 'test')]


def _run(args, **kwargs):
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(tiny_synth, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('work'))
    log = _run(['tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
                *_data_opts(tiny_synth)])
    return work, log


def test_train_writes_checkpoints_best_and_resolved_config(trained):
    work, log = trained
    assert 'final val coco/bbox_mAP:' in log and 'eta:' in log
    names = {osp.basename(p) for p in glob.glob(osp.join(work, '*.pth'))}
    assert {'epoch_1.pth', 'epoch_2.pth'} <= names
    assert any(n.startswith('best_coco_bbox_mAP_epoch_') for n in names)
    dumped = open(osp.join(work, 'tiny_t2_hooks.py')).read()  # resolved, flattened config
    assert 'num_classes=8' in dumped and '_base_' not in dumped
    # the operating point, calibrated after the last validation, is in the last and the
    # best checkpoint (both hold the epoch-2 weights) and its curve in the work dir
    from maxsight.checkpoint_io import safe_load_checkpoint
    assert 'operating point (set on val)' in log and 'parameter schedule over' in log
    best = glob.glob(osp.join(work, 'best_coco_bbox_mAP_epoch_2.pth'))
    for path in [osp.join(work, 'epoch_2.pth')] + best:
        op = safe_load_checkpoint(path)['meta']['operating_point']
        assert set(op) >= {'hazard_prob_thr', 'hazard_score_exponent', 'score_thr',
                           'hazard_recall', 'recall_target', 'split', 'false_safe_rate'}
        assert op['split'] == 'val' and op['recall_target'] == 0.95
    assert 'operating_point' not in (safe_load_checkpoint(osp.join(work, 'epoch_1.pth'))
                                     .get('meta') or {})
    points = json.load(open(osp.join(work, 'operating_point', 'points.json')))
    assert points['operating_point'] == op and len(points['points']) == 22 * 5 * 9
    assert osp.getsize(osp.join(work, 'operating_point', 'curve.png')) > 10000
    # 4 pictures of each of the 2 validations reached the local vis backend
    pictures = glob.glob(osp.join(work, '*', 'vis_data', 'vis_image', 'val_*.png'))
    assert len(pictures) == 8
    assert sorted(os.listdir(osp.join(work, 'plots'))) == [  # made after training
        'confusion_urgency.png', 'confusion_zone.png', 'losses.png', 'per_class_ap.png',
        'val_metrics.png']


def test_calibrate_tool_writes_a_copy_and_test_uses_it(trained, tiny_synth, tmp_path):
    import hashlib
    from maxsight.checkpoint_io import safe_load_checkpoint
    work, _ = trained
    src = osp.join(work, 'epoch_1.pth')
    digest = hashlib.sha256(open(src, 'rb').read()).hexdigest()
    out = str(tmp_path / 'calibrated.pth')
    log = _run(['tools/calibrate.py', CONFIG, src, '--target', '0.5', '--out', out,
                '--work-dir', str(tmp_path / 'cal'), '--cfg-options',
                *_data_opts(tiny_synth)])
    assert hashlib.sha256(open(src, 'rb').read()).hexdigest() == digest  # untouched
    op = safe_load_checkpoint(out)['meta']['operating_point']
    assert op['recall_target'] == 0.5 and f'stored in {out}' in log
    assert osp.isfile(tmp_path / 'cal' / 'operating_point' / 'curve.png')
    log = _run(['tools/test.py', CONFIG, out, '--work-dir', str(tmp_path / 'cal'),
                '--cfg-options', *_data_opts(tiny_synth)])
    assert f"using the operating point (set on val): hazard_prob_thr " \
           f"{op['hazard_prob_thr']:g}" in log
    assert f"assistive metrics (IoU >= 0.50, score >= {op['score_thr']:.2f})" in log


def test_test_tool_metrics_equal_pycocotools_on_pred_out(trained, tiny_synth, tmp_path):
    work, _ = trained
    out, pred = str(tmp_path / 'm.json'), str(tmp_path / 'p.bbox.json')
    _run(['tools/test.py', CONFIG, osp.join(work, 'epoch_2.pth'), '--work-dir', work,
          '--out', out, '--pred-out', pred, '--cfg-options', *_data_opts(tiny_synth)])
    metrics = json.load(open(out))
    for key in ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m',
                'bbox_mAP_l'):
        assert isinstance(metrics[f'coco/{key}'], float)
    preds = json.load(open(pred))
    assert preds and {'image_id', 'category_id', 'bbox', 'score', 'distance_m',
                      'distance_zone', 'urgency'} <= set(preds[0])
    gt = COCO(osp.join(tiny_synth, 'annotations', 'val.json'))
    assert {p['category_id'] for p in preds} <= set(gt.getCatIds())
    assert max(len([p for p in preds if p['image_id'] == i]) for i in gt.getImgIds()) <= 100
    ref = COCOeval(gt, gt.loadRes(pred), 'bbox')
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    assert abs(ref.stats[0] - metrics['coco/bbox_mAP']) <= 1e-9


def _mixed_size_copy(src_root, dst_root):
    """The tiny val split at three other sizes (down, up, and a changed aspect ratio), its
    boxes scaled with the images: the test pipeline resizes by factors other than 1 and
    pads every image to a multiple of 32."""
    import cv2
    os.makedirs(osp.join(dst_root, 'annotations'))
    data = json.load(open(osp.join(src_root, 'annotations', 'val.json')))
    sizes = [(200, 150), (64, 48), (160, 200)]
    for i, image in enumerate(data['images']):
        w, h = sizes[i % len(sizes)]
        sx, sy = w / image['width'], h / image['height']
        img = cv2.imread(osp.join(src_root, image['file_name']))
        os.makedirs(osp.dirname(osp.join(dst_root, image['file_name'])), exist_ok=True)
        cv2.imwrite(osp.join(dst_root, image['file_name']),
                    cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR))
        image.update(width=w, height=h)
        for ann in data['annotations']:
            if ann['image_id'] == image['id']:
                x, y, bw, bh = ann['bbox']
                ann['bbox'] = [x * sx, y * sy, bw * sx, bh * sy]
                ann['area'] = bw * sx * bh * sy
    json.dump(data, open(osp.join(dst_root, 'annotations', 'val.json'), 'w'))


def test_mixed_image_sizes_evaluate_in_original_pixels_equal_to_pycocotools(
        tiny_synth, overfit_ckpt, tmp_path):
    """A model overfitted to the val images at 128x96 finds them again at 200x150 (resized
    x0.64), 64x48 (x2) and 160x200 (x0.48, padded): only if every box goes back to its own
    image's pixels is the mAP above zero, and it equals pycocotools' on --pred-out."""
    work, ckpt = str(tmp_path / 'work'), overfit_ckpt
    root = str(tmp_path / 'mixed')
    _mixed_size_copy(tiny_synth, root)
    out, pred = str(tmp_path / 'm.json'), str(tmp_path / 'p.bbox.json')
    _run(['tools/test.py', CONFIG, ckpt, '--work-dir', work,
          '--out', out, '--pred-out', pred, '--cfg-options',
          f'test_dataloader.dataset.data_root={root}/'])
    metrics = json.load(open(out))
    gt = COCO(osp.join(root, 'annotations', 'val.json'))
    preds = json.load(open(pred))
    for p in preds:  # boxes are in each image's own original pixels
        img = gt.imgs[p['image_id']]
        x, y, w, h = p['bbox']
        assert -1e-3 <= x and x + w <= img['width'] + 1e-3 and y + h <= img['height'] + 1e-3
    widths = {gt.imgs[p['image_id']]['width'] for p in preds}
    assert widths == {200, 64, 160}
    ref = COCOeval(gt, gt.loadRes(pred), 'bbox')
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    assert metrics['coco/bbox_mAP'] > 0.05
    assert abs(ref.stats[0] - metrics['coco/bbox_mAP']) <= 1e-9


def test_resume_continues_from_latest(trained, tiny_synth):
    work, _ = trained
    log = _run(['tools/train.py', CONFIG, '--work-dir', work, '--resume', '--cfg-options',
                *_data_opts(tiny_synth), 'train_cfg.max_epochs=3'])
    assert 'resumed epoch: 2' in log
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))


def test_test_tool_lighting_conditions_show_dir_and_report(trained, tiny_synth, tmp_path):
    work, _ = trained
    out = str(tmp_path / 'm.json')
    trained_with = open(osp.join(work, 'tiny_t2_hooks.py')).read()
    logged = set(glob.glob(osp.join(work, '*', 'tiny_t2_hooks.py')))
    log = _run(['tools/test.py', CONFIG, osp.join(work, 'epoch_2.pth'), '--work-dir', work,
                '--out', out, '--lighting', '--conditions', 'glaucoma,cataracts',
                '--show-dir', str(tmp_path / 'show'), '--report-dir', str(tmp_path / 'rep'),
                '--cfg-options', *_data_opts(tiny_synth)])
    m = json.load(open(out))
    buckets = [k for k in m if k.startswith('lighting/') and k.endswith('/recall')]
    assert buckets
    for name in ('low_light', 'overexposure', 'low_contrast', 'glare'):
        for sev in range(1, 6):
            assert f'lighting/{name}/{sev}/bbox_mAP' in m
    values = [v for k, v in m.items() if k.count('/') == 3]
    assert m['lighting/mPC'] == pytest.approx(sum(values) / 20)
    if m['coco/bbox_mAP'] > 0:
        assert m['lighting/rPC'] == pytest.approx(m['lighting/mPC'] / m['coco/bbox_mAP'])
    for key in ('condition/glaucoma/bbox_mAP', 'condition/cataracts/rel_change',
                'distance/zone_acc', 'urgency/hazard_recall', 'urgency/false_safe_rate',
                'scene/urgency_acc'):
        assert key in m
    assert len(glob.glob(str(tmp_path / 'show' / '*.png'))) == 8
    report = open(tmp_path / 'rep' / 'report.md').read()
    assert 'Lighting robustness' in report and 'Vision conditions' in report
    # the test run's config went to its own log folder; the training run's stays
    assert open(osp.join(work, 'tiny_t2_hooks.py')).read() == trained_with
    (new,) = set(glob.glob(osp.join(work, '*', 'tiny_t2_hooks.py'))) - logged
    assert 'train_dataloader = None' in open(new).read()
    from maxsight.evaluation.confidence import gate_verdict, wilson_interval
    from maxsight.evaluation.metrics.assistive_metric import DEFAULT_GATES
    for key, (op, thr) in DEFAULT_GATES.items():  # each gate's verdict is its interval's
        n = m[f'{key}_n']
        low, high = wilson_interval(round(m[key] * n), n)
        assert (m[f'{key}_ci_low'], m[f'{key}_ci_high']) == pytest.approx((low, high))
        line = (f'| {key} {op} {thr} | {m[key]:.4f} | {low:.4f} - {high:.4f} | {int(n)} | '
                f'{gate_verdict(op, thr, m[key], (low, high))} |')
        assert line in report, (line, report)
    for png in ('lighting_buckets.png', 'lighting_robustness.png', 'conditions.png'):
        assert osp.getsize(tmp_path / 'rep' / png) > 1000
        assert f']({png})' in report  # report.md links its pictures
    page = open(tmp_path / 'rep' / 'report.html').read()  # self-contained
    assert page.count('data:image/png;base64,') >= 3 and 'src="lighting' not in page
    assert 'metric computation took' in log


def test_analyze_logs_plots_losses_lr_and_val_metrics(trained, tmp_path):
    work, _ = trained
    out = str(tmp_path / 'curves.png')
    _run(['tools/analysis_tools/analyze_logs.py', 'plot_curve', work, '--keys', 'loss',
          'loss_cls', 'lr', 'coco/bbox_mAP', '--out', out])
    assert osp.getsize(out) > 5000
    proc = subprocess.run([sys.executable, 'tools/analysis_tools/analyze_logs.py',
                           'plot_curve', work, '--keys', 'no_such_key'], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and 'keys not in the logs' in proc.stderr


def test_a_saved_config_tested_on_another_split_is_refused_not_scored_wrongly(trained,
                                                                            tiny_synth):
    """The work dir's resolved config holds the evaluator's ann_file as it was filled
    (val); pointing only its test dataloader at the training split made COCO score the
    training images against the val objects of the same ids (mAP near 0, no word)."""
    work, _ = trained
    saved = osp.join(work, 'tiny_t2_hooks.py')
    assert 'train_dataloader = dict(' in open(saved).read()  # earlier tests left it alone
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', saved,
         osp.join(work, 'epoch_2.pth'), '--work-dir', work, '--cfg-options',
         *_data_opts(tiny_synth), 'test_dataloader.dataset.ann_file=annotations/train.json'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert re.search(r"error: \S+/val\.json: image id 1 is 'val/000000\.png' there but the "
                     r"evaluated image 1 was loaded from '\S+/train/000000\.png': set the "
                     r"evaluator's ann_file to None", proc.stderr), proc.stderr[-2000:]

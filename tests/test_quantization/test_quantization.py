"""Int8 trunk: PTQ and QAT prepare / convert, checkpoint round trip, tools/export.py."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from maxsight.quantization import calibrate, convert_trunk, prepare_trunk
from maxsight.registry import MODELS

from ..helpers import ROOT  # noqa: E402
CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


def _model():
    cfg = Config.fromfile(CONFIG)
    cfg.model.bbox_head.num_classes = 8
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _images(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 96, 128, generator=g)


def _feats(model, x):
    with torch.no_grad():
        return model.neck(model.backbone(x))


def test_ptq_int8_trunk_tracks_float_and_is_smaller():
    model = _model().eval()
    x = _images(4, 1)
    ref = _feats(model, x)
    prepare_trunk(model, dict(mode='ptq'), _images(2, 0))
    assert calibrate(model, [_images(4, s) for s in range(2, 6)]) == 16
    int8 = convert_trunk(model)
    out = _feats(int8, x)
    for a, b in zip(out, ref):
        assert a.shape == b.shape
        rel = float((a - b).norm() / b.norm())
        assert rel < 0.1, rel  # int8 error, not a broken model
    packed = [m for m in int8.backbone.modules() if 'quantized' in type(m).__module__]
    assert len(packed) >= 10  # the convolutions really run in int8


def test_qat_checkpoint_matches_a_freshly_prepared_model(tmp_path):
    """tools/test.py and export check a QAT checkpoint against a model prepared from
    scratch, whose observers are not sized yet."""
    from maxsight.engine.transfer import check_same_architecture
    trained = _model().train()
    prepare_trunk(trained, dict(mode='qat'), _images(2, 0))
    trained.neck(trained.backbone(_images(2, 1)))
    path = str(tmp_path / 'qat.pth')
    torch.save({'state_dict': trained.state_dict()}, path)
    fresh = _model()
    prepare_trunk(fresh, dict(mode='qat'), _images(2, 0))
    check_same_architecture(path, fresh, 'qat config')  # no error
    with pytest.raises(ValueError, match='missing'):
        check_same_architecture(path, _model(), 'float config')


def test_qat_trains_and_converts_to_what_it_simulated():
    model = _model().train()
    prepare_trunk(model, dict(mode='qat'), _images(2, 0))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    for s in range(3):
        loss = sum(f.pow(2).mean() for f in model.neck(model.backbone(_images(2, s))))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    x = _images(2, 9)
    fake = _feats(model, x)
    # a fresh prepared model loads the QAT state (what tools/test.py and export do)
    again = _model()
    prepare_trunk(again, dict(mode='qat'), _images(2, 0))
    again.load_state_dict(model.state_dict())
    again.eval()
    for a, b in zip(_feats(again, x), fake):
        assert torch.equal(a, b)
    # the int8 model computes what fake quantisation simulated (nearer to it than to the
    # same weights without quantisation)
    from torch.ao.quantization import disable_fake_quant, enable_fake_quant
    model.backbone.apply(disable_fake_quant)
    unquantised = _feats(model, x)
    model.backbone.apply(enable_fake_quant)
    int8 = _feats(convert_trunk(model), x)
    for q, f, u in zip(int8, fake, unquantised):
        to_fake = float((q - f).norm() / f.norm())
        assert to_fake < 0.2 and to_fake < float((q - u).norm() / u.norm())


@pytest.mark.slow
def test_export_tool_report(tiny_synth, tmp_path):
    ckpt = str(tmp_path / 'float.pth')
    op = dict(hazard_prob_thr=0.2, hazard_score_exponent=0.7, score_thr=0.35)
    torch.save({'state_dict': _model().state_dict(), 'meta': {'operating_point': op}}, ckpt)
    cfg = tmp_path / 'ptq.py'
    cfg.write_text(f"_base_ = [{CONFIG!r}]\nquantization = dict(mode='ptq', calib_batches=2)\n")
    out = str(tmp_path / 'export')
    proc = subprocess.run(
        [sys.executable, 'tools/export.py', str(cfg), ckpt, '--out-dir', out,
         '--formats', 'torchscript', 'onnx', '--latency-runs', '2', '--cfg-options',
         *[f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'test')]],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.load(open(osp.join(out, 'report.json')))
    assert report['float']['torchscript_max_abs_diff'] < 1e-4
    assert report['int8']['torchscript_max_abs_diff'] < 1e-4
    assert report['int8']['torchscript_size_mb'] < report['float']['torchscript_size_mb']
    try:
        import onnxruntime  # noqa: F401  (optional: requirements/optional.txt)
        assert report['float']['onnx_max_abs_diff'] < 1e-4
    except ImportError:  # the exporter's limit is reported, not raised
        assert 'onnx' in report['float']['onnx_error'] and 'onnx_max_abs_diff' not in \
            report['float']
    assert set(report['int8_vs_float']) >= {'max_abs_diff_eager', 'mAP_change'}
    assert abs(report['int8_vs_float']['mAP_change'] - (
        report['int8']['coco/bbox_mAP'] - report['float']['coco/bbox_mAP'])) < 1e-12
    assert osp.isfile(osp.join(out, 'report.md'))
    post = json.load(open(osp.join(out, 'postprocess.json')))  # the calibrated point
    assert (post['test_cfg']['hazard_prob_thr'], post['test_cfg']['hazard_score_exponent'],
            post['display_score_thr'], post['operating_point']) == (0.2, 0.7, 0.35, op)


def test_export_compares_the_largest_difference_and_fits_calibration_images():
    from maxsight.deploy.export import _max_diff, fit_to_shape
    a = [torch.tensor([1.0, 2.0]), torch.tensor([[0.0, 5.0]])]
    b = [torch.tensor([1.5, 2.0]), torch.tensor([[0.0, 2.0]])]
    assert _max_diff(a, b) == 3.0  # the largest over every element of every output
    img = torch.arange(2 * 3 * 5, dtype=torch.float32).reshape(2, 3, 5)
    fitted = fit_to_shape(img, (1, 2, 4, 4))  # taller (padded), narrower (cropped)
    assert fitted.shape == (1, 2, 4, 4)
    assert torch.equal(fitted[0, :, :3, :], img[:, :, :4])
    assert not fitted[0, :, 3:, :].any()

import torch
from mmengine.config import Config

from maxsight.engine.transfer import format_report, transfer_state
from maxsight.registry import MODELS


def _model(name, num_classes=8, seed=0):
    cfg = Config.fromfile(f'configs/{name}.py')
    cfg.model.bbox_head.num_classes = num_classes
    torch.manual_seed(seed)
    return MODELS.build(cfg.model)


def test_t2_to_t5_transfers_every_compatible_weight():
    src, dst = _model('t2_default', seed=1), _model('t5_temporal', seed=2)
    report, copied = transfer_state(src.state_dict(), dst)
    dst_state = dst.state_dict()
    for key, value in src.state_dict().items():
        assert torch.equal(dst_state[key], value), key  # every T2 tensor arrived
    assert set(report['transferred']) == set(src.state_dict())
    new_modules = {k.split('.')[0] for k in report['new']}
    assert {'temporal', 'audio_fusion'} <= new_modules
    assert any(k.startswith('bbox_head.cross_attn') for k in report['new'])
    assert report['mismatched'] == [] and report['unused'] == []
    text = format_report(report)
    assert 'temporal' in text and 'total' in text


def test_shape_mismatch_is_reported_not_copied():
    src, dst = _model('t2_default', num_classes=5), _model('t2_default', num_classes=8, seed=3)
    before = dst.state_dict()['bbox_head.cls_out.weight'].clone()
    report, _ = transfer_state(src.state_dict(), dst)
    assert report['mismatched'] == ['bbox_head.cls_out.weight', 'bbox_head.cls_out.bias']
    assert torch.equal(dst.state_dict()['bbox_head.cls_out.weight'], before)
    assert 'shape mismatch: bbox_head.cls_out.weight' in format_report(report)


def test_transferred_t5_starts_where_t2_ended():
    from maxsight.structures import DetDataSample
    src, dst = _model('t2_default', seed=1).eval(), _model('t5_temporal', seed=2).eval()
    transfer_state(src.state_dict(), dst)
    torch.manual_seed(3)
    x = torch.randn(2, 3, 64, 96)
    samples = []
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(64, 96)))
        s.audio = torch.randn(32, 48)
        samples.append(s)
    with torch.no_grad():
        a = src(x, samples, mode='tensor')
        b = dst(x, samples, mode='tensor')
    for key in ('cls', 'box', 'obj', 'zone', 'log_dist', 'urgency', 'scene'):
        assert torch.allclose(a[key], b[key], atol=1e-5), key

import pytest
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
    assert any(k.startswith('bbox_head.answer_mlp') for k in report['new'])
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
        s.audio = torch.randn(2, 32, 48)
        samples.append(s)
    with torch.no_grad():
        a = src(x, samples, mode='tensor')
        b = dst(x, samples, mode='tensor')
    for key in ('cls', 'box', 'obj', 'zone', 'log_dist', 'urgency', 'scene'):
        assert torch.allclose(a[key], b[key], atol=1e-5), key


@pytest.mark.slow
def test_transfer_tool_grows_a_t2_checkpoint_into_t3(tmp_path):
    """tools/transfer.py: the T2 tensors arrive in the written T3 checkpoint, num_classes
    comes from the source's dataset_meta, and an existing --out is never overwritten."""
    import subprocess
    import sys

    from maxsight.checkpoint_io import safe_load_checkpoint
    src = _model('t2_default', num_classes=5, seed=3)
    meta = dict(dataset_meta=dict(classes=tuple('abcde')))
    src_path, out = str(tmp_path / 't2.pth'), str(tmp_path / 't3.pth')
    torch.save(dict(state_dict=src.state_dict(), meta=meta), src_path)
    proc = subprocess.run([sys.executable, 'tools/transfer.py', src_path,
                           'configs/t3_cross_task.py', '--out', out],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    grown = safe_load_checkpoint(out)
    assert tuple(grown['meta']['dataset_meta']['classes']) == tuple('abcde')
    for key, value in src.state_dict().items():
        assert torch.equal(grown['state_dict'][key], value), key
    assert any(k.startswith('bbox_head.answer_mlp') for k in grown['state_dict'])
    assert 'total' in proc.stdout and f'wrote {out}' in proc.stdout
    before = open(out, 'rb').read()
    again = subprocess.run([sys.executable, 'tools/transfer.py', src_path,
                            'configs/t3_cross_task.py', '--out', out],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and again.stderr.startswith('error: ') and 'exists' in \
        again.stderr and open(out, 'rb').read() == before


def test_a_checkpoint_from_before_the_scene_pool_evaluates_exactly_but_is_not_resumed():
    """T1's AttentionPool starts as the mean it replaced, so a checkpoint without it loads
    into the current T2 and computes what the mean read-out did; resuming it would hand
    the optimiser state of fewer parameters, so that is refused."""
    from maxsight.engine.transfer import check_same_architecture, load_same_architecture
    old = _model('t2_default', seed=4)
    state = {k: v for k, v in old.state_dict().items() if '.scene_pool.' not in k}
    ckpt = {'state_dict': state}
    new = _model('t2_default', seed=5)
    load_same_architecture(ckpt, new, 't2_default')
    old.bbox_head.scene_pool = None  # the mean read-out of the older head
    feats = [torch.randn(2, 64, s, s) for s in (8, 4, 2)]
    assert torch.allclose(new.bbox_head(feats)['scene'], old.bbox_head(feats)['scene'],
                          atol=1e-6)
    with pytest.raises(ValueError, match=r'2 missing \(bbox_head.scene_pool\)'):
        check_same_architecture(ckpt, new, 't2_default', resume=True)
    # a module that does not start neutral is still refused for evaluation
    no_encoder = {'state_dict': {k: v for k, v in state.items()
                                 if not k.startswith('encoder.')}}
    with pytest.raises(ValueError, match=r'13 missing \(encoder, encoder.encoder\)'):
        check_same_architecture(no_encoder, new, 't2_default')

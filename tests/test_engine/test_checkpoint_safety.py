import os

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from maxsight.engine import UnsafeCheckpointError, safe_load_checkpoint


class _Payload:
    """Unpickling this runs os.system: a file appears if the payload executes."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def test_malicious_checkpoint_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': _Payload(str(marker))}, path)
    with pytest.raises(UnsafeCheckpointError, match=r"evil\.pth: refused to load: .*system"):
        safe_load_checkpoint(str(path))
    # the loader mmengine's Runner uses (resume / load_from) is the safe one too
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_getattr_gadget_is_refused(tmp_path):
    path = tmp_path / 'gadget.pth'

    class Gadget:
        def __reduce__(self):
            return getattr, (str, '__subclasses__')

    torch.save({'x': Gadget()}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        safe_load_checkpoint(str(path))


def test_mmengine_runtime_state_round_trips(tmp_path):
    hub = MessageHub.get_instance('ckpt-roundtrip')
    hub.update_scalar('train/loss', np.float64(1.5))
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('epoch', 3)
    ckpt = dict(state_dict={'w': torch.arange(3.0)}, message_hub=hub.state_dict(),
                meta=dict(seed=np.int64(7), arr=np.arange(3, dtype=np.float32)))
    path = tmp_path / 'ok.pth'
    torch.save(ckpt, path)
    loaded = safe_load_checkpoint(str(path))
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer) and buf.mean() == pytest.approx(1.0)
    assert buf.current() == 0.5
    assert loaded['meta']['arr'].tolist() == [0.0, 1.0, 2.0]
    assert torch.equal(loaded['state_dict']['w'], torch.arange(3.0))


def test_missing_checkpoint_message(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        safe_load_checkpoint(str(tmp_path / 'none.pth'))

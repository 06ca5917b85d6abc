"""Two processes (gloo, CPU): a short training run, and 2-process evaluation of a checkpoint
equal to the single-process one."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

from ..helpers import ROOT  # noqa: E402
CONFIG = 'tests/configs/tiny_t2.py'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def _run(cmd):
    env = dict(os.environ, PYTHON=sys.executable, PORT=_free_port(), OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=400, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_two_process_train_and_eval_match_single_process(tiny_synth, tmp_path):
    opts = [f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val', 'test')]
    work = str(tmp_path / 'dist')
    log = _run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work,
                '--cfg-options', 'train_cfg.max_epochs=1', *opts])
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    two, one = str(tmp_path / 'two.json'), str(tmp_path / 'one.json')
    _run(['bash', 'tools/dist_test.sh', CONFIG, ckpt, '2', '--work-dir', work, '--out', two,
          '--cfg-options', *opts])
    _run([sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work, '--out', one,
          '--cfg-options', *opts])
    m2, m1 = json.load(open(two)), json.load(open(one))
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'distance/zone_acc', 'urgency/acc'):
        assert m2[key] == pytest.approx(m1[key], abs=1e-12), key

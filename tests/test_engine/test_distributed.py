"""Two processes (gloo, CPU): a short training run, and 2-process evaluation of a checkpoint
equal to the single-process one."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

from ..helpers import ROOT

pytestmark = pytest.mark.slow  # runs the tools end to end

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


def _nine_images(src, dst):
    """tiny_synth's 8 val images plus a ninth: a copy of the first under a new id."""
    import json
    import shutil
    shutil.copytree(src, dst)
    ann = osp.join(dst, 'annotations', 'val.json')
    data = json.load(open(ann))
    first = data['images'][0]
    extra = dict(first, id=max(i['id'] for i in data['images']) + 1)
    next_ann = max(a['id'] for a in data['annotations']) + 1
    copies = [dict(a, id=next_ann + k, image_id=extra['id']) for k, a in
              enumerate(a for a in data['annotations'] if a['image_id'] == first['id'])]
    data['images'].append(extra)
    data['annotations'] += copies
    json.dump(data, open(ann, 'w'))


def test_two_process_train_and_eval_match_single_process(tiny_synth, overfit_ckpt, tmp_path):
    """9 val images on 2 ranks: the sampler pads rank 1 with a repeat, which the metrics
    must drop, so every metric equals one process's."""
    opts = [f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val', 'test')]
    work = str(tmp_path / 'dist')
    log = _run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work,
                '--cfg-options', 'train_cfg.max_epochs=1', *opts])
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    root = str(tmp_path / 'nine')
    _nine_images(tiny_synth, root)
    opts = [f'test_dataloader.dataset.data_root={root}/']
    ckpt = overfit_ckpt  # metrics far from zero
    two, one = str(tmp_path / 'two.json'), str(tmp_path / 'one.json')
    _run(['bash', 'tools/dist_test.sh', CONFIG, ckpt, '2', '--work-dir', work, '--out', two,
          '--cfg-options', *opts])
    _run([sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work, '--out', one,
          '--cfg-options', *opts])
    m2, m1 = json.load(open(two)), json.load(open(one))
    assert set(m2) == set(m1)
    for key in m1:  # float32 sums in another order: equal to 1e-6 (a padded repeat counted
        # twice would move a mean over 9 images by about a tenth)
        assert m2[key] == pytest.approx(m1[key], rel=1e-6, abs=1e-9), key
    assert m1['coco/bbox_mAP'] > 0.05 and m1['distance/zone_acc'] > 0  # not all zeros

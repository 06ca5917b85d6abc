"""A head added outside the package via custom_imports trains with tools/train.py."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

from maxsight.engine import safe_load_checkpoint

from ..helpers import ROOT

pytestmark = pytest.mark.slow  # runs the tools end to end


def test_custom_head_trains_without_touching_the_package(tiny_synth, tmp_path):
    work = str(tmp_path / 'custom')
    opts = [f'{s}_dataloader.dataset.data_root={tiny_synth}/' for s in ('train', 'val')]
    opts += ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
             'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
             'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']
    proc = subprocess.run([sys.executable, 'tools/train.py',
                           'examples/custom_head/t2_context_head.py', '--work-dir', work,
                           '--cfg-options', *opts], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ckpt = safe_load_checkpoint(osp.join(work, 'epoch_1.pth'))
    keys = [k for k in ckpt['state_dict'] if k.startswith('bbox_head.context.')]
    assert len(keys) == 4  # two Linear layers: weight + bias each
    assert torch.isfinite(ckpt['state_dict']['bbox_head.context.0.weight']).all()
    assert 'ContextUrgencyHead' in open(osp.join(work, 't2_context_head.py')).read()

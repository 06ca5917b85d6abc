import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from maxsight.engine.smoke import check_smoke

from ..helpers import ROOT  # noqa: E402


def test_check_smoke_criteria():
    assert 'PASSED' in check_smoke(np.linspace(5, 1, 30))
    with pytest.raises(RuntimeError, match='did not decrease'):
        check_smoke(np.linspace(1, 5, 30))
    bad = np.linspace(5, 1, 30)
    bad[12] = np.nan
    with pytest.raises(RuntimeError, match='loss is nan at iteration 13'):
        check_smoke(bad)


@pytest.mark.slow
def test_smoke_run_of_the_default_config(tmp_path):
    proc = subprocess.run([sys.executable, 'tools/train.py', 'tests/configs/tiny_t2.py',
                           '--smoke', '--work-dir', str(tmp_path / 'w')], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'smoke run PASSED' in proc.stdout + proc.stderr
    assert osp.isfile(tmp_path / 'w_smoke' / 'smoke_data' / 'annotations' / 'train.json')

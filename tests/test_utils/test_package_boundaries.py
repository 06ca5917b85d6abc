"""The package's layering: the model package does not import the engine, and importing
MaxSight changes nothing in mmengine until register_all_modules() installs its changes."""
import ast
import glob
import os.path as osp
import subprocess
import sys

from ..helpers import ROOT


def _imports(path: str):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield '.' * node.level + (node.module or '')
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_models_import_neither_the_engine_nor_the_datasets():
    offenders = []
    for path in glob.glob(osp.join(ROOT, 'maxsight', 'models', '**', '*.py'), recursive=True):
        for name in _imports(path):
            if name.lstrip('.').split('.')[0] in ('engine', 'datasets') and name.startswith('.') \
                    or name.startswith(('maxsight.engine', 'maxsight.datasets')):
                offenders.append(f'{osp.relpath(path, ROOT)}: {name}')
    assert offenders == []


def test_import_patches_nothing_and_register_all_modules_installs_the_changes():
    code = '''
from mmengine.fileio.backends import backends
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
import maxsight, maxsight.engine, maxsight.models, maxsight.datasets, maxsight.evaluation
print(hasattr(HistoryBuffer, '__getstate__') and
      HistoryBuffer.__getstate__.__module__.startswith('maxsight'),
      CheckpointLoader._schemes[''].__module__.startswith('maxsight'),
      'maxsight_atomic' in backends)
maxsight.register_all_modules()
print(HistoryBuffer.__getstate__.__module__.startswith('maxsight'),
      CheckpointLoader._schemes[''].__module__.startswith('maxsight'),
      'maxsight_atomic' in backends)
'''
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split('\n')[:2] == ['False False False', 'True True True']


def test_a_fresh_interpreter_finds_the_configs_runner():
    """What a notebook does: no register_all_modules(), no default scope."""
    code = '''
from mmengine.config import Config
from mmengine.registry import RUNNERS
cfg = Config.fromfile('configs/t2_default.py')
print(RUNNERS.get(cfg.runner_type).__name__)
'''
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == 'MaxSightRunner'

"""Every tool ends a bad config path, a bad checkpoint path (missing, not a checkpoint,
truncated) and a bad data path with one `error:` line and exit status 2."""
import importlib.util
import os.path as osp
import time

import pytest
import torch
from PIL import Image

from maxsight.utils.cli import run_tool

from ..helpers import ROOT

BAD_CFG = '/nonexistent/config.py'
CFG = osp.join(ROOT, 'configs', 't2_default.py')
MISSING = '/nonexistent/epoch_1.pth'
NEEDS_CONFIG = {  # tool -> extra arguments after the config
    'train.py': [], 'automl.py': ['--n-trials', '1'],
    'analysis_tools/benchmark.py': [], 'analysis_tools/benchmark_balancer.py': [],
    'analysis_tools/benchmark_pipeline.py': [], 'analysis_tools/benchmark_scaling.py': [],
    'analysis_tools/browse_dataset.py': ['--out-dir', '/tmp/never'],
    'analysis_tools/get_flops.py': [], 'analysis_tools/profile_train.py': [],
    'analysis_tools/train_peer.py': ['--minutes', '1'],
    'analysis_tools/tier_ladder.py': ['--work-root', '/tmp/never'],
}
CONFIG_THEN_CKPT = {'test.py': [], 'calibrate.py': [], 'export.py': [], 'demo.py': []}


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'tool_{name.replace("/", "_")}',
                                                  osp.join(ROOT, 'tools', name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _error_line(name, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_tool(_tool(name).main, argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[-1].startswith('error: ')
    return lines[-1]


@pytest.fixture(scope='module')
def bad_checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp('ckpts')
    (folder / 'text.pth').write_text('not a checkpoint')
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, folder / 'whole.pth')
    data = (folder / 'whole.pth').read_bytes()
    (folder / 'truncated.pth').write_bytes(data[:len(data) // 2])
    Image.new('RGB', (32, 24)).save(folder / 'frame.png')
    CONFIG_THEN_CKPT['demo.py'] = [str(folder / 'frame.png'), '--out', str(folder / 'demo')]
    return {'missing': (MISSING, 'checkpoint not found'),
            'text': (str(folder / 'text.pth'), 'is not a PyTorch checkpoint'),
            'truncated': (str(folder / 'truncated.pth'), 'damaged or truncated')}


@pytest.mark.parametrize('name', sorted(NEEDS_CONFIG) + sorted(CONFIG_THEN_CKPT))
def test_a_bad_config_path_is_one_error_line(name, bad_checkpoints, capsys):
    extra = NEEDS_CONFIG.get(name)
    argv = [BAD_CFG] + extra if extra is not None else \
        [BAD_CFG, MISSING] + CONFIG_THEN_CKPT[name]
    line = _error_line(name, argv, capsys)
    assert BAD_CFG in line and ('not found' in line or 'No such file' in line)


@pytest.mark.parametrize('kind', ['missing', 'text', 'truncated'])
@pytest.mark.parametrize('name', sorted(CONFIG_THEN_CKPT) + ['transfer.py'])
def test_a_bad_checkpoint_is_one_error_line(name, kind, bad_checkpoints, capsys):
    path, message = bad_checkpoints[kind]
    if name == 'transfer.py':
        argv = [path, CFG, '--out', '/tmp/never.pth']
    else:
        argv = [CFG, path] + CONFIG_THEN_CKPT[name]
        if name in ('test.py', 'calibrate.py'):  # one mmengine visualizer per run name
            argv += ['--cfg-options', f'experiment_name=bad_{kind}_{time.time_ns()}']
    line = _error_line(name, argv, capsys)
    assert message in line and path in line


def test_bad_values_and_sources_are_one_error_line(bad_checkpoints, tmp_path, capsys):
    whole = bad_checkpoints['text'][0].replace('text.pth', 'whole.pth')
    assert _error_line('calibrate.py', [CFG, whole, '--target', '1.5'], capsys) == \
        'error: --target must be in (0, 1), got 1.5'
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'a.xyz').write_text('x')
    for source, message in ((str(tmp_path / 'nope.png'), 'no such file or folder'),
                            (str(tmp_path / 'empty'), 'no images'),
                            (str(tmp_path / 'a.xyz'), "unknown file type '.xyz'")):
        assert message in _error_line('demo.py', [CFG, whole, source], capsys)


def test_data_tools_name_the_missing_file(capsys):
    assert 'annotation file not found: /no/ann.json' in _error_line(
        'misc/check_dataset.py', ['/no/ann.json'], capsys)
    assert 'log not found' in _error_line('analysis_tools/analyze_logs.py',
                                          ['plot_curve', '/no/logdir'], capsys)
    assert 'annotation file not found' in _error_line(
        'analysis_tools/hazard_recall_breakdown.py', ['/no/a.json', '/no/p.json'], capsys)
    assert 'annotation file not found: /no/a.json' in _error_line(
        'analysis_tools/clip_urgency_ceiling.py', ['/no/a.json', '/no/b.json'], capsys)
    assert 'annotation file not found: /no/a.json' in _error_line(
        'analysis_tools/clip_distance_noise.py', ['/no/a.json', '/no/p.json'], capsys)
    assert 'annotation file not found' in _error_line(
        'analysis_tools/urgency_from_answers.py', ['/no/a.json', '/no/p.json'], capsys)


ALL_TOOLS = sorted(NEEDS_CONFIG) + sorted(CONFIG_THEN_CKPT) + [
    'transfer.py', 'misc/check_dataset.py', 'misc/make_synthetic_dataset.py',
    'analysis_tools/analyze_logs.py', 'analysis_tools/hazard_recall_breakdown.py',
    'analysis_tools/clip_urgency_ceiling.py', 'analysis_tools/clip_motion_signal.py',
    'analysis_tools/clip_distance_noise.py', 'analysis_tools/urgency_from_answers.py']


@pytest.mark.parametrize('name', ALL_TOOLS)
def test_help_is_whole_sentences_and_every_option_explained(name, monkeypatch):
    import argparse
    parsers = []

    def grab(self, *args, **kwargs):
        parsers.append(self)
        raise SystemExit(0)
    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', grab)
    with pytest.raises(SystemExit):
        _tool(name).main([])
    todo = list(parsers)
    while todo:
        parser = todo.pop()
        text = (parser.description or '').strip()
        assert text and text[0].isupper() and text.endswith('.'), (name, text)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += list(action.choices.values())
            elif not isinstance(action, argparse._HelpAction):
                assert action.help and action.help.strip(), (name, action.dest)


@pytest.mark.parametrize('name', ['train.py', 'test.py', 'calibrate.py', 'demo.py',
                                  'export.py', 'misc/check_dataset.py',
                                  'misc/make_synthetic_dataset.py'])
def test_help_answers_without_importing_torch(name):
    import subprocess
    import sys
    code = ('import runpy, sys\nsys.argv = ["tool", "--help"]\ntry:\n'
            f'    runpy.run_path({osp.join(ROOT, "tools", name)!r}, run_name="__main__")\n'
            'except SystemExit:\n    pass\nprint("torch loaded:", "torch" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60).stdout
    assert 'usage:' in out and out.strip().endswith('torch loaded: False')

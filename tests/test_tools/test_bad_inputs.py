"""The bad-input catalogue: each case ends the tool with one clear error line and a non-zero
exit, leaves the work dir exactly as it was (no partial files, no overwritten checkpoint),
and never runs what it should not. The tools run in this process (fast)."""
import errno
import hashlib
import importlib.util
import json
import os
import os.path as osp
import logging
import shutil
import sys

import pytest
import torch
from mmengine.config import Config

from maxsight.engine import atomic_backend
from maxsight.registry import MODELS
from maxsight.utils.cli import run_tool

from ..helpers import ROOT  # noqa: E402
CONFIG = osp.join(ROOT, 'tests', 'configs', 'tiny_t2.py')


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'maxsight_tool_{name}',
                                                  osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


TRAIN, TEST = _tool('train'), _tool('test')


@pytest.fixture(autouse=True)
def _log_to_this_tests_streams():
    """mmengine's loggers outlive a test; point their console handlers at the streams
    pytest captures for this one (the previous test's are closed)."""
    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.stream = sys.stdout  # setStream would flush the closed one


def _snapshot(folder):
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = osp.join(base, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


class _Case:
    """Builds the inputs of one bad case in ``tmp`` from a good dataset ``data``."""

    def __init__(self, data, tmp):
        self.data, self.tmp = data, tmp
        self.work = osp.join(tmp, 'work')
        os.makedirs(self.work)
        # what a user already has in the work dir must survive any failure
        with open(osp.join(self.work, 'notes.txt'), 'w') as f:
            f.write('keep me')
        torch.save({'state_dict': {'w': torch.arange(3.0)}},
                    osp.join(self.work, 'best_coco_bbox_mAP_epoch_9.pth'))

    def data_opts(self, root=None):
        root = root or self.data
        return [f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val', 'test')]

    def train_args(self, *options, config=CONFIG, flags=()):
        return [config, '--work-dir', self.work, *flags, '--cfg-options',
                *self.data_opts(), *options]

    def bad_annotations(self, edit):
        """A copy of the train annotations changed by ``edit(dict)``; returns the option."""
        with open(osp.join(self.data, 'annotations', 'train.json')) as f:
            ann = json.load(f)
        edit(ann)
        path = osp.join(self.tmp, 'bad_train.json')
        with open(path, 'w') as f:
            json.dump(ann, f)
        return f'train_dataloader.dataset.ann_file={path}'

    def data_copy(self):
        root = osp.join(self.tmp, 'data')
        shutil.copytree(self.data, root)
        return root

    def checkpoint_without(self, prefix):
        """A tiny-T2 checkpoint lacking the ``prefix`` module: another tier's weights."""
        cfg = Config.fromfile(CONFIG)
        cfg.model.bbox_head.num_classes = 8
        state = MODELS.build(cfg.model).state_dict()
        path = osp.join(self.tmp, 'other_tier.pth')
        torch.save({'state_dict': {k: v for k, v in state.items()
                                   if not k.startswith(prefix)}, 'meta': {}}, path)
        return path


def _first_image(ann):
    return ann['images'][0]


def _ann_case(edit):
    return lambda c: (TRAIN, c.train_args(c.bad_annotations(edit)))


def _image_case(damage):
    def build(c):
        root = c.data_copy()
        with open(osp.join(root, 'annotations', 'train.json')) as f:
            ann = json.load(f)
        damage(root, ann)
        return TRAIN, [CONFIG, '--work-dir', c.work, '--cfg-options', *c.data_opts(root)]
    return build


def _truncate(root, ann):
    path = osp.join(root, _first_image(ann)['file_name'])
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 3])


def _wrong_size(root, ann):
    _first_image(ann)['width'] += 7
    with open(osp.join(root, 'annotations', 'train.json'), 'w') as f:
        json.dump(ann, f)


def _syntax_error_config(c):
    path = osp.join(c.tmp, 'broken.py')
    with open(path, 'w') as f:
        f.write("_base_ = ['%s']\nmodel = dict(type='MaxSightDetector'\n" % CONFIG)
    return TRAIN, [path, '--work-dir', c.work]


def _ann_edit(key, value, what='annotations'):
    def edit(ann):
        ann[what][0][key] = value
    return edit


def _invalid_json(c):
    path = osp.join(c.tmp, 'bad.json')
    with open(path, 'w') as f:
        f.write('{"images": [')
    return TRAIN, c.train_args(f'train_dataloader.dataset.ann_file={path}')


def _duplicate_image(ann):
    ann['images'].append(dict(ann['images'][0]))


def _malicious(c):
    class Payload:
        def __reduce__(self):
            return os.system, (f'touch {osp.join(c.tmp, "pwned")}',)
    path = osp.join(c.tmp, 'evil.pth')
    torch.save({'state_dict': {}, 'meta': Payload()}, path)
    return TEST, [CONFIG, path, '--work-dir', c.work, '--cfg-options', *c.data_opts()]


def _not_a_dir_work(c):
    blocker = osp.join(c.tmp, 'a_file')
    open(blocker, 'w').close()
    return TRAIN, [CONFIG, '--work-dir', osp.join(blocker, 'run'), '--cfg-options',
                   *c.data_opts()]


def _existing_checkpoints(c):
    torch.save({'state_dict': {'w': torch.ones(2)}}, osp.join(c.work, 'epoch_3.pth'))
    return TRAIN, c.train_args()


CASES = {
    # annotations
    'annotations: invalid JSON': (_invalid_json, 'JSON'),
    'annotations: file missing': (
        lambda c: (TRAIN, c.train_args('train_dataloader.dataset.ann_file=/no/such.json')),
        'annotation file not found'),
    'annotations: no images list': (_ann_case(lambda a: a.pop('images')), 'images'),
    'annotations: negative box width': (
        _ann_case(_ann_edit('bbox', [1, 1, -5, 4])), 'bbox'),
    'annotations: unknown category': (_ann_case(_ann_edit('category_id', 999)), 'category'),
    'annotations: duplicate image id': (_ann_case(_duplicate_image), 'duplicate'),
    'annotations: distance_m not a number': (
        _ann_case(_ann_edit('distance_m', 'far')), 'distance_m'),
    'annotations: urgency out of range': (_ann_case(_ann_edit('urgency', 9)), 'urgency'),
    'annotations: iscrowd not 0/1': (_ann_case(_ann_edit('iscrowd', 'yes')), 'iscrowd'),
    'annotations: image width not an int': (
        _ann_case(_ann_edit('width', 'wide', what='images')), 'width'),
    # images
    'image: file missing': (_image_case(
        lambda root, ann: os.remove(osp.join(root, _first_image(ann)['file_name']))),
        'image file not found'),
    'image: truncated': (_image_case(_truncate), 'truncated'),
    'image: size differs from the record': (_image_case(_wrong_size),
                                            'annotation says 135x96, file is 128x96'),
    # configs
    'config: file missing': (lambda c: (TRAIN, ['/no/such/config.py']),
                             'config file not found'),
    'config: syntax error': (_syntax_error_config, 'syntax error'),
    'config: unknown model type (suggests)': (
        lambda c: (TRAIN, c.train_args('model.backbone.type=LiteResNett')),
        'Did you mean: LiteResNet'),
    'config: unknown hook type (suggests)': (
        lambda c: (TRAIN, c.train_args('default_hooks.stability.type=StabilityHok')),
        'Did you mean: StabilityHook'),
    'config: batch_size not an int': (
        lambda c: (TRAIN, c.train_args('train_dataloader.batch_size=abc')), 'batch_size'),
    'config: max_epochs zero': (
        lambda c: (TRAIN, c.train_args('train_cfg.max_epochs=0')), 'max_epochs'),
    'config: negative learning rate': (
        lambda c: (TRAIN, c.train_args('optim_wrapper.optimizer.lr=-0.1')), 'lr'),
    'config: class count differs from the file': (
        lambda c: (TRAIN, c.train_args('model.bbox_head.num_classes=5')),
        'num_classes=5'),
    'config: data root missing': (
        lambda c: (TRAIN, [CONFIG, '--work-dir', c.work, '--cfg-options',
                           *c.data_opts('/no/such/root')]), 'not found'),
    # flags
    'flags: --smoke with --resume': (
        lambda c: (TRAIN, c.train_args(flags=('--smoke', '--resume'))), 'cannot be combined'),
    'flags: --resume checkpoint missing': (
        lambda c: (TRAIN, c.train_args(flags=('--resume', '/no/such.pth'))), 'not found'),
    'flags: --amp without a GPU': (
        lambda c: (TRAIN, c.train_args(flags=('--amp',))), 'CUDA'),
    'flags: unknown --condition': (
        lambda c: (TRAIN, c.train_args(flags=('--condition', 'x-ray'))), 'invalid choice'),
    'test: checkpoint missing': (
        lambda c: (TEST, [CONFIG, '/no/such.pth', '--work-dir', c.work]), 'not found'),
    # checkpoints
    'checkpoint: another tier evaluated without transfer': (
        lambda c: (TEST, [CONFIG, c.checkpoint_without('encoder.'), '--work-dir', c.work,
                          '--cfg-options', *c.data_opts()]), 'does not match'),
    'checkpoint: another tier resumed': (
        lambda c: (TRAIN, c.train_args(flags=('--resume', c.checkpoint_without('encoder.')))),
        'does not match'),
    'checkpoint: from before the scene pool, resumed': (
        lambda c: (TRAIN, c.train_args(flags=('--resume',
                                              c.checkpoint_without('bbox_head.scene_pool.')))),
        'does not match'),
    'checkpoint: pickle that would run code': (_malicious, 'refused to load'),
    # work dir
    'work dir: not writable (a file is in the way)': (_not_a_dir_work, 'Not a directory'),
    'work dir: holds checkpoints of an earlier run': (_existing_checkpoints, '--resume'),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_bad_input_gives_one_clear_error_and_changes_nothing(name, tiny_synth, tmp_path,
                                                             capsys):
    build, expected = CASES[name]
    case = _Case(tiny_synth, str(tmp_path))
    tool, argv = build(case)
    before = _snapshot(case.work)
    exp = f'case{abs(hash(name)) % 10**8}'
    if '--cfg-options' in argv:
        argv = argv + [f'experiment_name={exp}']
    with pytest.raises(SystemExit) as exit_info:
        run_tool(tool, argv)
    assert exit_info.value.code not in (0, None)
    err = capsys.readouterr().err.strip().splitlines()
    assert err, 'no error message'
    last = err[-1]
    assert 'error:' in last and expected in last, last
    assert 'Traceback' not in '\n'.join(err)
    assert _snapshot(case.work) == before
    assert not osp.exists(osp.join(str(tmp_path), 'pwned'))


def test_disk_full_at_checkpoint_save(tiny_synth, tmp_path, capsys, monkeypatch):
    """ENOSPC while writing the first checkpoint: one error line, nothing left behind."""
    case = _Case(tiny_synth, str(tmp_path))
    before = _snapshot(case.work)

    def full(data, path):
        raise OSError(errno.ENOSPC, 'No space left on device', str(path))
    monkeypatch.setattr(atomic_backend, 'atomic_write_bytes', full)
    with pytest.raises(SystemExit) as exit_info:
        run_tool(TRAIN, case.train_args('train_cfg.max_epochs=1', 'experiment_name=diskfull'))
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith('error: No space left on device') and 'epoch_1.pth' in last
    assert _snapshot(case.work) == before


def test_cfg_options_are_literals_never_evaluated(tmp_path):
    marker = tmp_path / 'evaluated'
    from mmengine.config import DictAction
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    code = f"__import__('os').system('touch {marker}')"
    args = parser.parse_args(['--cfg-options', f'work_dir={code}', 'x=[1,2]', 'y=1e-3'])
    # mmengine drops the spaces; the value stays a string and is never run
    assert dict(args.cfg_options) == {'work_dir': code.replace(' ', ''), 'x': [1, 2],
                                      'y': 0.001}
    assert not marker.exists()

import os.path as osp

import pytest
from mmengine.config import Config

from maxsight.utils import prepare_config

from ..helpers import TINY_SYNTH


def _cfg(root, **embedded):
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = root
    cfg.embedded_dataset = dict(cfg.embedded_dataset, root=root, **embedded)
    return cfg


def test_generates_embedded_dataset_and_fills_classes_and_evaluator(tmp_path):
    root = str(tmp_path / 'synth')
    cfg = prepare_config(_cfg(root, num_train=3, num_val=2, width=96, height=64))
    assert osp.isfile(osp.join(root, 'annotations', 'train.json'))
    assert osp.isfile(osp.join(root, "val", "000001.png"))
    assert not osp.exists(osp.join(root, "annotations", "train_clips.json"))  # not asked for
    assert cfg.model.bbox_head.num_classes == 8
    assert cfg.val_evaluator[0].ann_file == osp.join(root, 'annotations/val.json')
    # a split an older generator wrote is generated again; a current one is left alone
    import json
    from maxsight.datasets.synthetic.generator import GENERATOR_VERSION
    train, val = (osp.join(root, 'annotations', f'{s}.json') for s in ('train', 'val'))
    data = json.load(open(train))
    data['info']['version'] = '1.1'
    json.dump(data, open(train, 'w'))
    val_before = open(val).read()
    open(osp.join(root, 'val', '000001.png'), 'ab').write(b'x')  # would show a rewrite
    prepare_config(_cfg(root, num_train=3, num_val=2, width=96, height=64))
    assert json.load(open(train))['info']['version'] == GENERATOR_VERSION
    assert open(val).read() == val_before
    assert open(osp.join(root, 'val', '000001.png'), 'rb').read().endswith(b'x')


def test_the_held_out_split_is_generated_when_a_test_loader_reads_it(tmp_path):
    """The tier ladder tests on annotations/test.json of the embedded data: generated on
    first use, with the same bytes as make_synthetic_dataset.py --num-test writes."""
    import filecmp

    from maxsight.datasets.synthetic import generate_split
    root = str(tmp_path / 'synth')
    cfg = _cfg(root, num_train=2, num_val=2, num_test=3, width=96, height=64)
    cfg.test_dataloader.dataset.ann_file = 'annotations/test.json'
    prepare_config(cfg, splits=('test',))
    made = osp.join(root, 'annotations', 'test.json')
    assert not osp.exists(osp.join(root, 'annotations', 'train.json'))  # not asked for
    reference = generate_split(str(tmp_path / 'ref'), 'test', 3, cfg.embedded_dataset.seed,
                               96, 64, 1)
    assert filecmp.cmp(made, reference, shallow=False)
    assert filecmp.cmp(osp.join(root, 'test', '000002.png'),
                       osp.join(tmp_path, 'ref', 'test', '000002.png'), shallow=False)


def test_a_split_of_another_size_or_seed_is_generated_again(tmp_path, monkeypatch):
    """A held-out split asked for with more images (or another seed or image size) than
    its file holds is generated again, not silently reused; the images both sizes share
    are the same bytes (each item has its own random stream)."""
    import json

    from maxsight.datasets.synthetic.generator import SIGNAL_SET_VERSION
    from maxsight.utils import config_preparation
    root = str(tmp_path / 'synth')
    made = osp.join(root, 'annotations', 'test.json')
    warned = []
    monkeypatch.setattr(config_preparation, 'print_log',
                        lambda msg, **kw: warned.append(msg) if kw.get('level') else None)

    def prepare(**embedded):
        cfg = _cfg(root, **dict(dict(num_train=2, num_val=2, width=96, height=64), **embedded))
        cfg.test_dataloader.dataset.ann_file = 'annotations/test.json'
        prepare_config(cfg, splits=('test',))
        with open(made) as f:
            return json.load(f)

    small = prepare(num_test=2)
    first = open(osp.join(root, 'test', '000001.png'), 'rb').read()
    large = prepare(num_test=3)
    assert warned == [f'{made} holds 2 images, embedded_dataset asks for 3: generating it '
                      'again']
    assert len(large['images']) == 3 and large['images'][:2] == small['images']
    assert [a for a in large['annotations'] if a['image_id'] <= 2] == small['annotations']
    assert open(osp.join(root, 'test', '000001.png'), 'rb').read() == first
    assert prepare(num_test=3) == large and len(warned) == 1  # the same spec: reused
    other = prepare(num_test=3, seed=5)
    assert 'has seed 0 and clip length 1, embedded_dataset asks for seed 5 and' in warned[1]
    assert other['info']['seed'] == 5 and other['images'] != large['images']
    assert prepare(num_test=3, seed=5, width=80)['images'][0]['width'] == 80
    assert warned[2].endswith('has 96x64 images, embedded_dataset asks for 80x64: '
                              'generating it again')
    signals = prepare(num_test=3, seed=5, width=80, traffic_signal=True)
    assert warned[3].endswith('lacks the pedestrian signal that embedded_dataset asks for '
                              '(traffic_signal): generating it again')
    assert signals['info']['traffic_signal'] == SIGNAL_SET_VERSION
    assert {im['traffic_signal'] for im in signals['images']} <= {'walk', 'dont_walk'}
    signals['info']['traffic_signal'] = '1'  # an older drawing of the signal
    with open(made, 'w') as f:
        json.dump(signals, f)
    assert prepare(num_test=3, seed=5, width=80, traffic_signal=True) != signals
    assert warned.pop().endswith(f'was written by signal-set version 1, this is '
                                 f'{SIGNAL_SET_VERSION}: generating it again')
    assert 'traffic_signal' not in prepare(num_test=3, seed=5, width=80)['info']
    assert 'has the pedestrian signal that embedded_dataset does not ask for' in warned[4]


def test_class_count_mismatch_and_missing_data_are_clear(tiny_synth, tmp_path):
    cfg = _cfg(tiny_synth, **TINY_SYNTH)
    cfg.model.bbox_head.num_classes = 5
    with pytest.raises(ValueError, match=r'num_classes=5 but .*train\.json declares 8'):
        prepare_config(cfg)
    cfg = _cfg(str(tmp_path / 'elsewhere'))
    cfg.embedded_dataset = None  # a user dataset: never generated, a clear error instead
    with pytest.raises(FileNotFoundError, match='train_dataloader: annotation file not found'):
        prepare_config(cfg)


def test_tensorboard_switch(tiny_synth):
    from maxsight.utils.config_preparation import enable_tensorboard
    cfg = _cfg(tiny_synth, **TINY_SYNTH)
    enable_tensorboard(cfg)  # off by default: nothing added
    assert [b['type'] for b in cfg.visualizer.vis_backends] == ['LocalVisBackend']
    cfg.use_tensorboard = True
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match='optional tensorboard package'):
            enable_tensorboard(cfg)
        cfg.use_tensorboard = False  # listed in the backends directly: the same message
        cfg.visualizer.vis_backends.append(dict(type='TensorboardVisBackend'))
        with pytest.raises(ImportError, match='pip install tensorboard'):
            enable_tensorboard(cfg)
    else:
        enable_tensorboard(cfg)
        assert [b['type'] for b in cfg.visualizer.vis_backends] == [
            'LocalVisBackend', 'TensorboardVisBackend']


def test_pipeline_additions_go_into_every_pipeline_once_and_bad_ones_are_named():
    from maxsight.utils.config_preparation import apply_pipeline_additions
    cfg = Config.fromfile('configs/t4_cross_modal.py')
    assert 'LoadAudioFeatures' not in str(cfg.train_dataloader.dataset.pipeline)
    apply_pipeline_additions(cfg)
    apply_pipeline_additions(cfg)  # applying twice changes nothing
    for split in ('train', 'val', 'test'):
        types = [t['type'] for t in cfg[f'{split}_dataloader'].dataset.pipeline]
        assert types[:3] == ['LoadImageFromFile', 'LoadAnnotations', 'LoadAudioFeatures']
        assert types.count('LoadAudioFeatures') == 1
    cfg.pipeline_additions = [dict(after='LoadDepth', transform=dict(type='X'))]
    with pytest.raises(ValueError, match=r'pipeline_additions\[0\], train_dataloader: '
                                         'pipeline has no LoadDepth'):
        apply_pipeline_additions(cfg)
    cfg.pipeline_additions = [dict(transform=dict(type='X'))]
    with pytest.raises(ValueError, match=r'pipeline_additions\[0\] must be dict\(after='):
        apply_pipeline_additions(cfg)


def test_auto_loader_settings_follow_the_device(monkeypatch):
    from mmengine.config import Config

    from maxsight.utils.config_preparation import (CPU_AUTO_WORKERS, GPU_MAX_WORKERS,
                                                   auto_num_workers, resolve_loader_settings)
    assert CPU_AUTO_WORKERS == dict(train=0, val=1, test=1) and GPU_MAX_WORKERS == 8
    assert auto_num_workers('train', cuda=True, cpus=16, procs_per_node=1) == 8
    assert auto_num_workers('train', cuda=True, cpus=16, procs_per_node=4) == 4
    assert auto_num_workers('val', cuda=True, cpus=2, procs_per_node=4) == 1
    assert auto_num_workers('val', cuda=False, cpus=64, procs_per_node=1) == 1

    def loaders():
        return Config(dict(
            train_dataloader=dict(num_workers='auto', pin_memory='auto',
                                  persistent_workers=True),
            val_dataloader=dict(num_workers='auto', pin_memory='auto', persistent_workers=True),
            test_dataloader=dict(num_workers=3, pin_memory=False)))
    cpu = loaders()
    resolve_loader_settings(cpu, cuda=False)
    assert (cpu.train_dataloader.num_workers, cpu.train_dataloader.pin_memory,
            cpu.train_dataloader.persistent_workers) == (0, False, False)
    assert (cpu.val_dataloader.num_workers, cpu.val_dataloader.pin_memory,
            cpu.val_dataloader.persistent_workers) == (1, False, True)
    assert cpu.test_dataloader.num_workers == 3  # explicit values stay
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    monkeypatch.setattr('os.cpu_count', lambda: 12)
    gpu = loaders()
    resolve_loader_settings(gpu, cuda=True)
    assert (gpu.train_dataloader.num_workers, gpu.train_dataloader.pin_memory) == (6, True)
    assert gpu.test_dataloader.pin_memory is False


def test_auto_is_a_valid_num_workers_and_other_strings_are_not():
    import pytest
    from mmengine.config import Config

    from maxsight.utils.config_preparation import check_config_values
    from maxsight.utils.errors import ToolError
    check_config_values(Config(dict(train_dataloader=dict(batch_size=2, num_workers='auto'))))
    with pytest.raises(ToolError, match="train_dataloader.num_workers must be an int >= 0 or "
                                        "'auto', got 'four'"):
        check_config_values(Config(dict(train_dataloader=dict(batch_size=2,
                                                              num_workers='four'))))


@pytest.mark.parametrize('cfg, message', [
    (dict(train_dataloader=dict(batch_size=True)),
     'train_dataloader.batch_size must be a positive int, got True (bool)'),
    (dict(val_dataloader=dict(batch_size=0)),
     'val_dataloader.batch_size must be a positive int, got 0 (int)'),
    (dict(test_dataloader=dict(batch_size=1, num_workers=-1)),
     "test_dataloader.num_workers must be an int >= 0 or 'auto', got -1 (int)"),
    (dict(train_cfg=dict(max_epochs=2.0)),
     'train_cfg.max_epochs must be a positive int, got 2.0 (float)'),
    (dict(optim_wrapper=dict(optimizer=dict(lr=float('inf')))),
     'optim_wrapper.optimizer.lr must be a positive number, got inf (float)'),
    (dict(optim_wrapper=dict(optimizer=dict(lr=0))),
     'optim_wrapper.optimizer.lr must be a positive number, got 0 (int)'),
])
def test_a_bad_config_value_is_refused_naming_key_and_value(cfg, message):
    from mmengine.config import Config

    from maxsight.utils.config_preparation import check_config_values
    from maxsight.utils.errors import ToolError
    with pytest.raises(ToolError) as err:
        check_config_values(Config(cfg))
    assert str(err.value) == 'config: ' + message


def test_a_file_under_the_embedded_root_that_is_no_split_is_used_or_refused(tmp_path):
    """A user's own annotation file beside the generated splits is read as it is (never
    generated over); a missing one that is no split of the embedded data is refused."""
    import json
    root = str(tmp_path / 'synth')
    cfg = _cfg(root, num_train=2, num_val=2, num_test=2, width=96, height=64)
    cfg.test_dataloader.dataset.ann_file = 'annotations/test.json'
    prepare_config(cfg, splits=('test',))
    mine = osp.join(root, 'annotations', 'mine.json')
    with open(osp.join(root, 'annotations', 'test.json')) as f:
        data = json.load(f)
    del data['info']  # not written by the generator
    with open(mine, 'w') as f:
        json.dump(data, f)
    before = open(mine).read()
    cfg = _cfg(root, num_train=2, num_val=2, num_test=2, width=96, height=64)
    cfg.test_dataloader.dataset.ann_file = 'annotations/mine.json'
    prepare_config(cfg, splits=('test',))
    assert open(mine).read() == before
    cfg.test_dataloader.dataset.ann_file = 'annotations/other.json'
    with pytest.raises(FileNotFoundError, match=r'other\.json is missing and is not a split '
                                                r'of the embedded dataset'):
        prepare_config(cfg, splits=('test',))

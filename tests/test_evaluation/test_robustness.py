from mmengine.config import Config

from maxsight.evaluation.robustness import _with_transform, parse_conditions


def test_transformed_copy_leaves_the_original_config_alone():
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    original = [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
    changed = _with_transform(cfg.test_dataloader, dict(type='LightingCorruption',
                                                         name='glare', severity=2))
    again = _with_transform(cfg.test_dataloader, dict(type='RPGammaLift'))
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline] == original
    assert [t['type'] for t in changed['dataset']['pipeline']][:2] == [
        'LoadImageFromFile', 'LightingCorruption']
    assert 'LightingCorruption' not in [t['type'] for t in again['dataset']['pipeline']]


def test_parse_conditions():
    assert len(parse_conditions('all')) == 14
    assert parse_conditions('amd, cvi') == ['amd', 'cvi']
    import pytest
    with pytest.raises(ValueError, match='unknown'):
        parse_conditions('amd,fog')

"""Condition-aware training: the FiLM rows a training step uses learn and are recorded;
a row never trained is not applied at inference; RandomVisionCondition draws per sample."""
import numpy as np
import pytest
import torch

from maxsight.conditions import VISION_CONDITIONS, condition_index

from ..helpers import synthetic_batch, tiny_model


def _batch(conditions):
    batch = synthetic_batch()
    for sample, name in zip(batch['data_samples'], conditions):
        sample.set_metainfo(dict(condition=name))
    return batch


def test_condition_aware_steps_train_the_rows_they_use_and_record_them():
    model = tiny_model()
    film = model.condition_film
    rows = film.embed.weight.detach().clone()
    assert film.trained_conditions() == ()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        data = model.data_preprocessor(_batch(['glaucoma', None]), training=True)
        loss = sum(model(**data, mode='loss').values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    moved = (film.embed.weight.detach() - rows).abs().sum(1)
    g, a = condition_index('glaucoma'), condition_index('amd')
    assert moved[g] > 0 and moved[a] == 0 and moved[0] == 0  # row 0 stays the identity
    assert film.trained_conditions() == ('glaucoma',)
    state = model.state_dict()
    assert state['condition_film.trained'][g] and not state['condition_film.trained'][a]


def test_an_untrained_row_is_not_applied_at_inference():
    model = tiny_model()
    model.condition_film.trained[condition_index('glaucoma')] = True
    model.eval()

    def outputs(name):
        data = model.data_preprocessor(_batch([name, name]), training=False)
        with torch.no_grad():
            return model(**data, mode='tensor')['cls']
    plain = outputs(None)
    assert torch.equal(outputs('amd'), plain)  # never trained: the preprocessing's alone
    assert not torch.allclose(outputs('glaucoma'), plain)


def test_random_vision_condition_draws_each_condition_or_none():
    from maxsight.datasets.transforms import RandomVisionCondition
    from maxsight.registry import TRANSFORMS
    img = (np.random.default_rng(0).random((24, 32, 3)) * 255).astype(np.uint8)
    aug = TRANSFORMS.build(dict(type='RandomVisionCondition'))
    assert aug.none_prob == pytest.approx(1 / 15)
    np.random.seed(0)
    drawn = [aug(dict(img=img.copy())).get('condition') for _ in range(600)]
    counts = {name: drawn.count(name) for name in VISION_CONDITIONS}
    assert 15 < drawn.count(None) < 70 and min(counts.values()) > 15
    np.random.seed(1)
    out = aug(dict(img=img.copy()))
    direct = TRANSFORMS.build(dict(type=type(aug.transforms[out['condition']]).__name__))
    assert np.array_equal(out['img'], direct(dict(img=img.copy()))['img'])
    two = RandomVisionCondition(conditions=('amd', 'glaucoma'), none_prob=0.0)
    assert {two(dict(img=img.copy()))['condition'] for _ in range(40)} == {'amd', 'glaucoma'}
    with pytest.raises(ValueError, match='unknown vision condition'):
        RandomVisionCondition(conditions=('blur',))
    with pytest.raises(ValueError, match='none_prob'):
        RandomVisionCondition(none_prob=1.0)


def test_condition_evaluation_says_which_embeddings_were_trained(monkeypatch):
    from maxsight.evaluation import robustness
    monkeypatch.setattr(robustness, 'evaluate_model',
                        lambda model, cfg, metrics, seed: {'coco/bbox_mAP': 0.2})
    model = tiny_model()
    model.condition_film.trained[condition_index('amd')] = True
    loader = dict(dataset=dict(ann_file='a.json', pipeline=[dict(type='LoadImageFromFile'),
                                                            dict(type='PackDetInputs')]))
    out = robustness.condition_evaluation(model, loader, 0.4, conditions=('amd', 'glaucoma'))
    assert out['condition/amd/embedding_trained'] == 1.0
    assert out['condition/glaucoma/embedding_trained'] == 0.0
    assert out['condition/glaucoma/rel_change'] == pytest.approx(-0.5)


def test_condition_aware_config_adds_the_draw_to_training_only():
    from mmengine.config import Config

    from maxsight.utils.config_preparation import apply_pipeline_additions
    cfg = apply_pipeline_additions(Config.fromfile('configs/t2_conditions.py'))
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline][:3] == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomVisionCondition']
    assert all(t['type'] != 'RandomVisionCondition'
               for t in cfg.val_dataloader.dataset.pipeline)
    bad = Config(dict(pipeline_additions=[dict(after='X', transform={}, splits=('tain',))]))
    with pytest.raises(ValueError, match='unknown splits'):
        apply_pipeline_additions(bad)


def test_the_film_has_one_row_per_condition_and_row_0_for_none():
    """14 conditions + "none" (row 0, zero and always applied): 15 rows, 15 flags."""
    from maxsight.models.layers.condition_film import ConditionFiLM
    film = ConditionFiLM(channels=4)
    assert len(VISION_CONDITIONS) == 14
    assert film.embed.weight.shape == (15, 8) and film.trained.shape == (15,)
    assert not film.embed.weight[0].any() and film.trained.tolist() == [True] + [False] * 14

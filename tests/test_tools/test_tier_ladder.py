"""tools/analysis_tools/tier_ladder.py: hand-computed summaries and verdicts, the hazard
recall of occluded, truncated and out-of-view hazards, and a ladder that resumes without
repeating unless the held-out file changed."""
import hashlib
import json
import math
import os.path as osp

import pytest

from maxsight.analysis import tier_ladder as ladder


@pytest.fixture(autouse=True)
def held_out(monkeypatch):
    """Every run is scored on one held-out file (nothing generated) until a test changes
    ``held_out['digest']``."""
    state = {'digest': 'a' * 64}
    monkeypatch.setattr(ladder, 'held_out_digest',
                        lambda *args: ('held_out.json', state['digest']))
    return state


def test_summary_and_verdicts_hand_computed():
    results = {
        't1_attention': {0: {'scene/urgency_acc': 0.40, 'urgency/acc_context': 0.60},
                         1: {'scene/urgency_acc': 0.42, 'urgency/acc_context': 0.66}},
        't2_default': {0: {'scene/urgency_acc': 0.45, 'urgency/acc_context': 0.70},
                       1: {'scene/urgency_acc': 0.46, 'urgency/acc_context': 0.71}},
        't3_cross_task': {0: {'scene/urgency_acc': 0.43, 'urgency/acc': 0.80,
                              'urgency/hazard_recall': 0.90},
                          1: {'scene/urgency_acc': 0.47, 'urgency/acc': 0.84,
                              'urgency/hazard_recall': 0.95}},
    }
    results['t2_default'][0].update({'urgency/acc': 0.70, 'urgency/hazard_recall': 0.93})
    results['t2_default'][1].update({'urgency/acc': 0.72, 'urgency/hazard_recall': 0.94})
    order = ['t1_attention', 't2_default', 't3_cross_task']
    summary = ladder.summarise(results, ladder.reported_keys(order))
    assert summary['t1_attention']['scene/urgency_acc'] == pytest.approx(
        dict(mean=0.41, min=0.40, max=0.42, spread=0.02, n=2))
    assert 'urgency/acc' not in summary['t1_attention']  # no seed has it
    rows = ladder.compare_to_tier_below(summary, order)
    # T2 on the context objects' urgency: +0.075 against a spread of 0.06 (T1's range); T3 on
    # urgency accuracy: +0.11 > 0.04, on hazard recall: +(0.925 - 0.935) = -0.01, not a gain
    assert [(r['tier'], r['metric'], r['beats']) for r in rows] == [
        ('t2_default', 'urgency/acc_context', True),
        ('t3_cross_task', 'urgency/acc', True),
        ('t3_cross_task', 'urgency/hazard_recall', False)]
    assert [r['gain'] for r in rows] == pytest.approx([0.075, 0.11, -0.01])
    assert [r['spread'] for r in rows] == pytest.approx([0.06, 0.04, 0.05])


def test_a_gain_equal_to_the_seed_spread_is_not_a_beat():
    """"Better by more than the seed spread": a gain of exactly the spread does not beat
    (binary fractions, so the equality is exact)."""
    summary = {'t2_default': {'urgency/acc': dict(mean=0.5, min=0.375, max=0.625,
                                                  spread=0.25, n=2)},
               't3_cross_task': {'urgency/acc': dict(mean=0.75, min=0.625, max=0.875,
                                                     spread=0.25, n=2)}}
    row = next(r for r in ladder.compare_to_tier_below(summary, ['t2_default',
                                                                 't3_cross_task'])
               if r['metric'] == 'urgency/acc')
    assert (row['gain'], row['spread'], row['beats']) == (0.25, 0.25, False)


def test_a_gain_inside_the_seed_spread_does_not_count_and_lower_error_is_a_gain():
    summary = ladder.summarise({
        't4_cross_modal': {0: {'distance/mae_m': 2.0, 'urgency/acc_approaching': 0.5},
                           1: {'distance/mae_m': 2.2, 'urgency/acc_approaching': 0.7}},
        't5_temporal': {0: {'distance/mae_m': 1.5, 'urgency/acc_approaching': 0.6},
                        1: {'distance/mae_m': 1.6, 'urgency/acc_approaching': 0.8}}},
        keys=('distance/mae_m', 'urgency/acc_approaching'))
    rows = {r['metric']: r for r in ladder.compare_to_tier_below(
        summary, ['t4_cross_modal', 't5_temporal'])}
    assert rows['distance/mae_m']['gain'] == pytest.approx(0.55)  # 2.1 m -> 1.55 m
    assert rows['distance/mae_m']['beats']
    # +0.1 of approaching accuracy is inside the seed range of 0.2
    assert rows['urgency/acc_approaching']['gain'] == pytest.approx(0.1)
    assert not rows['urgency/acc_approaching']['beats']


def test_nan_seeds_are_left_out_and_a_missing_metric_never_beats():
    summary = ladder.summarise({
        't3_cross_task': {0: {'urgency/beside_hazard_recall': 0.5},
                          1: {'urgency/beside_hazard_recall': 0.7}},
        't4_cross_modal': {0: {'urgency/beside_hazard_recall': math.nan},
                           1: {'urgency/beside_hazard_recall': 0.9},
                           2: {'urgency/beside_hazard_recall': 0.92}}})
    assert summary['t4_cross_modal']['urgency/beside_hazard_recall'] == pytest.approx(
        dict(mean=0.91, min=0.9, max=0.92, spread=0.02, n=2))
    rows = ladder.compare_to_tier_below(summary, ['t3_cross_task', 't4_cross_modal'])
    assert rows[1]['metric'] == 'urgency/beside_hazard_recall' and rows[1]['beats']
    assert rows[0] == dict(tier='t4_cross_modal', below='t3_cross_task',
                           metric='hazard_recall/occluded_sounding', gain=None, spread=None,
                           beats=False)
    table = ladder.format_ladder(summary, rows, seeds=[0, 1, 2])
    assert ('| t4_cross_modal | - | - | - | - | - | - | - | - | - | - | - | 0.910 [0.900, 0.920] '
            '| - |') in table
    assert table.splitlines()[-1] == ('| t4_cross_modal | t3_cross_task | '
                                      'urgency/beside_hazard_recall | +0.3100 | 0.2000 | yes |')


def test_one_seed_has_no_spread_and_gets_no_verdict():
    """A gain of 0.4 from one seed each is not a verdict: one seed's range is 0."""
    summary = ladder.summarise({'t0_baseline': {0: {'scene/urgency_acc': 0.3}},
                                't1_attention': {0: {'scene/urgency_acc': 0.7}}})
    rows = ladder.compare_to_tier_below(summary, ['t0_baseline', 't1_attention'])
    assert rows == [dict(tier='t1_attention', below='t0_baseline', metric='scene/urgency_acc',
                         gain=pytest.approx(0.4), spread=0.0, beats=None)]
    assert ladder.format_ladder(summary, rows, seeds=[0]).splitlines()[-1] == (
        '| t1_attention | t0_baseline | scene/urgency_acc | +0.4000 | 0.0000 | - (needs 2 seeds) |')


def _ann(id, cat, bbox, urgency, **extra):
    return dict(id=id, image_id=1, category_id=cat, bbox=bbox, area=bbox[2] * bbox[3],
                iscrowd=0, urgency=urgency, **extra)


def test_edge_case_recall_counts_occluded_truncated_and_out_of_view_hazards(tmp_path):
    coco = dict(info={}, images=[dict(id=1, file_name='a.png', width=100, height=100)],
                categories=[dict(id=3, name='car'), dict(id=8, name='stairs')], annotations=[
                    _ann(1, 3, [0, 0, 30, 30], 3, occlusion=0.5, truncation=0.0),
                    _ann(2, 3, [40, 0, 30, 30], 2, occlusion=0.3, truncation=0.2),
                    _ann(3, 3, [0, 50, 30, 30], 2, occlusion=0.1, truncation=0.005),
                    _ann(4, 3, [50, 50, 30, 30], 0, occlusion=0.9, truncation=0.9),
                    _ann(5, 3, [70, 0, 30, 20], 2, occlusion=0.0, truncation=0.5),
                    _ann(6, 3, [70, 70, 30, 30], 3, occlusion=0.0, truncation=0.499),
                    _ann(7, 3, [0, 90, 20, 10], 2, occlusion=0.0, truncation=0.7),
                    _ann(8, 8, [40, 40, 20, 20], 2, occlusion=0.6, truncation=0.0)])
    dets = [dict(image_id=1, category_id=3, bbox=[0, 0, 30, 30], score=0.9, urgency=3),
            dict(image_id=1, category_id=3, bbox=[40, 0, 30, 30], score=0.2, urgency=3),
            dict(image_id=1, category_id=3, bbox=[0, 50, 30, 30], score=0.8, urgency=2),
            dict(image_id=1, category_id=3, bbox=[70, 0, 30, 20], score=0.7, urgency=3),
            dict(image_id=1, category_id=3, bbox=[70, 70, 30, 30], score=0.9, urgency=0),
            dict(image_id=1, category_id=8, bbox=[40, 40, 20, 20], score=0.9, urgency=2)]
    ann, pred = tmp_path / 'ann.json', tmp_path / 'pred.json'
    ann.write_text(json.dumps(coco))
    pred.write_text(json.dumps(dets))
    # occluded (>= 0.3): objects 1 (found), 2 (score 0.2 < 0.3) and the stairs 8 (found),
    # of which the cars 1 and 2 make a sound; truncated (>= 0.01): 2 (missed), 5 (called a
    # hazard), 6 (found, called safe) and 7 (no detection); out of view (>= 0.5 of the box
    # outside): 5 and 7 (6 is just under half outside); object 4 is not a hazard, 3 is
    # neither
    assert ladder.hazard_recall_of_edge_cases(str(ann), str(pred), 0.3) == {
        'hazard_recall/occluded': 2 / 3, 'hazard_recall/occluded_n': 3.0,
        'hazard_recall/occluded_sounding': 0.5, 'hazard_recall/occluded_sounding_n': 2.0,
        'hazard_recall/truncated': 0.25, 'hazard_recall/truncated_n': 4.0,
        'hazard_recall/out_of_view': 0.5, 'hazard_recall/out_of_view_n': 2.0}
    low = ladder.hazard_recall_of_edge_cases(str(ann), str(pred), 0.1)
    assert low['hazard_recall/occluded'] == 1.0 and low['hazard_recall/truncated'] == 0.5
    assert low['hazard_recall/occluded_sounding'] == 1.0
    # the metric's IoU threshold is passed on: above 1 not even exact boxes match
    strict = ladder.hazard_recall_of_edge_cases(str(ann), str(pred), 0.1, iou_thr=1.01)
    assert strict['hazard_recall/occluded'] == 0.0 and strict['hazard_recall/truncated'] == 0.0
    assert strict['hazard_recall/out_of_view'] == 0.0


def test_ladder_runs_seed_by_seed_and_a_rerun_repeats_nothing(tmp_path, monkeypatch):
    calls = []

    def train(config, seed, epochs, work_dir, cfg_options, init=None):
        calls.append(('train', ladder.tier_name(config), seed, epochs))
        return f'{work_dir}/epoch_{epochs}.pth'

    def test(config, seed, epochs, work_dir, checkpoint, test_ann, cfg_options,
             test_options=None):
        calls.append(('test', ladder.tier_name(config), seed, test_ann))
        gain = 0.1 if 't1' in config else 0.0
        return {'scene/urgency_acc': 0.3 + gain + 0.01 * seed}

    monkeypatch.setattr(ladder, '_train', train)
    monkeypatch.setattr(ladder, '_test', test)
    configs = ['configs/t0_baseline.py', 'configs/t1_attention.py']
    root = str(tmp_path)
    out = ladder.run_ladder(configs, [0, 1], 3, root)
    assert [c[:3] for c in calls if c[0] == 'train'] == [
        ('train', 't0_baseline', 0), ('train', 't1_attention', 0),
        ('train', 't0_baseline', 1), ('train', 't1_attention', 1)]
    assert {c[3] for c in calls if c[0] == 'test'} == {'annotations/test.json'}
    assert out['comparisons'] == [dict(tier='t1_attention', below='t0_baseline',
                                       metric='scene/urgency_acc', gain=pytest.approx(0.1),
                                       spread=pytest.approx(0.01), beats=True)]
    stored = json.loads((tmp_path / 't1_attention_seed1' / ladder.RESULT_FILE).read_text())
    assert stored['metrics'] == {'scene/urgency_acc': pytest.approx(0.41)} and stored['epochs'] == 3
    assert (tmp_path / 'ladder.md').read_text().strip() == out['table']
    calls.clear()
    again = ladder.run_ladder(configs, [0, 1], 3, root)
    assert calls == [] and again['summary'] == out['summary']


def test_test_options_score_the_same_runs_apart_without_training_again(tmp_path,
                                                                        monkeypatch):
    calls = []

    def train(config, seed, epochs, work_dir, cfg_options, init=None):
        calls.append(('train', ladder.tier_name(config), seed))
        return f'{work_dir}/epoch_{epochs}.pth'

    def test(config, seed, epochs, work_dir, checkpoint, test_ann, cfg_options,
             test_options=None):
        calls.append(('test', ladder.tier_name(config), seed, test_options))
        own_call = bool(test_options)
        return {'urgency/acc': 0.5 + 0.1 * own_call * ('t3' in config) + 0.01 * seed}

    monkeypatch.setattr(ladder, '_train', train)
    monkeypatch.setattr(ladder, '_test', test)
    configs = ['configs/t2_default.py', 'configs/t3_cross_task.py']
    first = ladder.run_ladder(configs, [0, 1], 2, str(tmp_path))
    own = {'use_operating_point': False, 'model.bbox_head.test_cfg.hazard_prob_thr': None}
    calls.clear()
    second = ladder.run_ladder(configs, [0, 1], 2, str(tmp_path), test_options=own)
    # the checkpoints are there (the stub's _train returns them): only tests run, with own
    assert [c for c in calls if c[0] == 'test'] == [
        ('test', t, seed, own) for seed in (0, 1) for t in ('t2_default', 't3_cross_task')]
    assert first['comparisons'][0]['gain'] == pytest.approx(0.0)
    assert second['comparisons'][0]['gain'] == pytest.approx(0.1)
    suffix = ladder.file_suffix(own)
    assert suffix == ladder.file_suffix(dict(reversed(list(own.items()))))  # order-free
    assert suffix.startswith('_test-') and len(suffix) == len('_test-') + 8
    assert ladder.file_suffix({}) == ladder.file_suffix(None) == ''
    run = tmp_path / 't3_cross_task_seed1'
    assert json.loads((run / ladder.RESULT_FILE).read_text())['metrics'] == {
        'urgency/acc': pytest.approx(0.51)}  # the default scoring is kept
    stored = json.loads((run / f'ladder_result{suffix}.json').read_text())
    assert stored['metrics'] == {'urgency/acc': pytest.approx(0.61)}
    assert stored['test_options'] == own
    assert (tmp_path / f'ladder{suffix}.md').read_text().strip() == second['table']
    assert (tmp_path / 'ladder.md').read_text().strip() == first['table']
    calls.clear()
    ladder.run_ladder(configs, [0, 1], 2, str(tmp_path), test_options=own)
    assert [c for c in calls if c[0] == 'test'] == []


def test_a_result_scored_on_another_held_out_file_is_tested_again_and_kept(
        tmp_path, monkeypatch, held_out):
    """The held-out split changed (generated again at a new size): each run is tested
    again without training, and its old result, predictions and report are renamed, not
    overwritten; a result from before digests were stored counts as another file."""
    calls = []
    monkeypatch.setattr(ladder, '_train', lambda config, seed, epochs, work_dir, *args,
                        **kw: calls.append('train') or f'{work_dir}/epoch_{epochs}.pth')

    def test(config, seed, epochs, work_dir, *args):
        calls.append('test')
        run = tmp_path / f'{ladder.tier_name(config)}_seed{seed}'
        run.mkdir(exist_ok=True)
        (run / 'ladder_test_predictions.json').write_text(held_out['digest'][:1])
        return {'coco/bbox_mAP': 0.3 if held_out['digest'][0] == 'a' else 0.4}

    monkeypatch.setattr(ladder, '_test', test)
    configs = ['configs/t0_baseline.py']
    root, run = str(tmp_path), tmp_path / 't0_baseline_seed0'
    ladder.run_ladder(configs, [0], 2, root)
    assert calls == ['train', 'test']
    stored = json.loads((run / ladder.RESULT_FILE).read_text())
    assert stored['test_ann_sha256'] == 'a' * 64 and stored['test_ann_file'] == 'held_out.json'
    calls.clear()
    held_out['digest'] = 'b' * 64
    out = ladder.run_ladder(configs, [0], 2, root)
    assert calls == ['train', 'test']  # the stub's _train stands for "checkpoint exists"
    assert out['summary']['t0_baseline']['coco/bbox_mAP']['mean'] == pytest.approx(0.4)
    assert json.loads((run / 'ladder_result.scored_on_aaaaaaaa.json').read_text()) == stored
    assert (run / 'ladder_test_predictions.scored_on_aaaaaaaa.json').read_text() == 'a'
    assert (run / 'ladder_test_predictions.json').read_text() == 'b'
    legacy = json.loads((run / ladder.RESULT_FILE).read_text())
    del legacy['test_ann_sha256']
    (run / ladder.RESULT_FILE).write_text(json.dumps(legacy))
    calls.clear()
    ladder.run_ladder(configs, [0], 2, root)
    assert calls == ['train', 'test']
    assert (run / 'ladder_result.scored_on_unknown.json').is_file()
    calls.clear()
    ladder.run_ladder(configs, [0], 2, root)
    assert calls == []


def test_a_run_trained_with_another_config_is_refused_before_anything_trains(
        tmp_path, monkeypatch):
    """After a tier's module, data or schedule changed, its old runs' results must not be
    reused: the ladder names the changed part and trains nothing. The dataloader's machine
    settings and a run from before the record do not count."""
    calls = []
    monkeypatch.setattr(ladder, '_train', lambda config, seed, epochs, work_dir, *args,
                        **kw: calls.append(('train', seed)) or f'{work_dir}/epoch_{epochs}.pth')
    monkeypatch.setattr(ladder, '_test', lambda *args: {'urgency/acc': 0.5})
    configs, root = ['configs/t3_cross_task.py'], str(tmp_path)
    ladder.run_ladder(configs, [0, 1], 2, root)
    record = json.loads((tmp_path / 't3_cross_task_seed0' / ladder.CONFIG_RECORD).read_text())
    assert set(record['digests']) == set(ladder.TRAINING_SECTIONS) | {'init_from',
                                                                     'embedded_generator'}
    calls.clear()
    ladder.run_ladder(configs, [0, 1], 2, root, cfg_options={'train_dataloader.num_workers': 0})
    assert calls == []
    for options, part in (({'model.encoder.levels': (1, 2)}, 'model'),
                          ({'train_dataloader.dataset.data_root': 'data/other/'},
                           'train_dataloader'),
                          ({'optim_wrapper.optimizer.lr': 0.5}, 'optim_wrapper')):
        with pytest.raises(ValueError, match=rf'seed0 was trained with another {part} than '
                           r'configs/t3_cross_task\.py gives now; train into a new '
                           r'--work-root'):
            ladder.run_ladder(configs, [2, 0, 1], 2, root, cfg_options=options)
        assert calls == []  # not even seed 2, which has no run yet and comes first
    with pytest.raises(ValueError, match='another randomness'):  # seed 1's record, seed 0's
        ladder.check_training_record(str(tmp_path / 't3_cross_task_seed1'), configs[0],
                                     ladder.training_digests(configs[0], 0, 2, None))
    with pytest.raises(ValueError, match='another train_cfg'):
        ladder.run_ladder(configs, [0], 3, root)
    with pytest.raises(ValueError, match='another init_from'):
        ladder.run_ladder(configs, [0], 2, root, init_from=str(tmp_path / 'seed0.pth'))
    # the embedded data written by another generator: same config, other pictures or audio
    monkeypatch.setattr('maxsight.datasets.synthetic.generator.GENERATOR_VERSION', '0.9')
    with pytest.raises(ValueError, match='another embedded_generator'):
        ladder.run_ladder(configs, [0], 2, root)
    seed1 = tmp_path / 't3_cross_task_seed1' / ladder.CONFIG_RECORD
    old = json.loads(seed1.read_text())
    del old['digests']['embedded_generator']  # a record from before the part existed
    seed1.write_text(json.dumps(old))
    ladder.run_ladder(configs, [1], 2, root)
    (tmp_path / 't3_cross_task_seed0' / ladder.CONFIG_RECORD).unlink()  # an older run
    ladder.run_ladder(configs, [0], 2, root, cfg_options={'model.encoder.levels': (1, 2)})
    assert calls == [] and not (tmp_path / 't3_cross_task_seed0' / ladder.CONFIG_RECORD).exists()


def test_the_held_out_digest_is_of_the_generated_split(tmp_path, monkeypatch):
    """The real ``held_out_digest``: the embedded held-out split is generated at the size
    the config asks for, and the digest is its file's SHA-256."""
    monkeypatch.undo()
    root = str(tmp_path / 'synth')
    options = {'embedded_dataset': dict(root=root, num_train=2, num_val=2, num_test=2,
                                        seed=0, width=96, height=64),
               'test_dataloader.dataset.data_root': root}
    ann, digest = ladder.held_out_digest('tests/configs/tiny_t2.py', 0, 1,
                                         'annotations/test.json', options, None)
    assert ann == osp.join(root, 'annotations/test.json')
    with open(ann, 'rb') as f:
        data = f.read()
    assert digest == hashlib.sha256(data).hexdigest() and len(json.loads(data)['images']) == 2
    options['embedded_dataset']['num_test'] = 3
    ann3, digest3 = ladder.held_out_digest('tests/configs/tiny_t2.py', 0, 1,
                                           'annotations/test.json', options, None)
    assert ann3 == ann and digest3 != digest
    with pytest.raises(FileNotFoundError, match='held-out annotation file not found'):
        ladder.held_out_digest('tests/configs/tiny_t2.py', 0, 1, 'annotations/nope.json',
                               dict(options, embedded_dataset=None), None)


def test_init_from_gives_each_seed_its_own_checkpoint_and_a_missing_one_stops_first(
        tmp_path, monkeypatch):
    inits = []
    monkeypatch.setattr(ladder, '_train', lambda config, seed, epochs, work_dir, cfg_options,
                        init=None: inits.append((ladder.tier_name(config), seed, init)))
    def test(config, seed, *args):
        temporal = 't5' in config
        return {'urgency/acc_approaching': 0.5 + 0.2 * temporal + 0.01 * seed,
                'distance/mae_m': 0.6 - 0.1 * temporal}

    monkeypatch.setattr(ladder, '_test', test)
    for seed in (0, 1):
        (tmp_path / f'base{seed}.pth').write_bytes(b'')
    template = str(tmp_path / 'base{seed}.pth')
    configs = ['configs/t4_clip_frames_finetune.py', 'configs/t5_temporal_finetune.py']
    with pytest.raises(FileNotFoundError, match=r'seed 2 not found: .*base2\.pth'):
        ladder.run_ladder(configs, [0, 1, 2], 2, str(tmp_path / 'runs'), init_from=template)
    assert inits == []  # refused before anything trained
    out = ladder.run_ladder(configs, [0, 1], 2, str(tmp_path / 'runs'), init_from=template)
    assert inits == [('t4_clip_frames_finetune', 0, str(tmp_path / 'base0.pth')),
                     ('t5_temporal_finetune', 0, str(tmp_path / 'base0.pth')),
                     ('t4_clip_frames_finetune', 1, str(tmp_path / 'base1.pth')),
                     ('t5_temporal_finetune', 1, str(tmp_path / 'base1.pth'))]
    assert out['init_from'] == template
    stored = json.loads((tmp_path / 'runs' / 't5_temporal_finetune_seed1' /
                         ladder.RESULT_FILE).read_text())
    assert stored['init_from'] == str(tmp_path / 'base1.pth')
    # the clip target is not among REPORTED: it still gets a column and a comparison
    assert out['comparisons'] == [
        dict(tier='t5_temporal_finetune', below='t4_clip_frames_finetune',
             metric='urgency/acc_approaching', gain=pytest.approx(0.2),
             spread=pytest.approx(0.01), beats=True),
        dict(tier='t5_temporal_finetune', below='t4_clip_frames_finetune',
             metric='distance/mae_m', gain=pytest.approx(0.1), spread=pytest.approx(0.0),
             beats=True)]
    assert 'urgency/acc_approaching |' in out['table'].splitlines()[0]
    assert '| t5_temporal_finetune | - |' in out['table']


def test_a_new_run_transfers_from_init_and_a_killed_one_resumes(tmp_path, monkeypatch):
    import maxsight.engine as engine
    seen = []

    class Runner:
        def __init__(self, cfg):
            seen.append((cfg.resume, cfg.load_from))

        def train(self):
            pass

    monkeypatch.setattr(engine, 'build_runner', Runner)
    config, work_dir = 'configs/t5_temporal_finetune.py', str(tmp_path / 'run')
    ladder._train(config, 0, 2, work_dir, None, init='base.pth')
    ladder._train(config, 0, 2, work_dir, None)  # without init: from scratch, not T2's file
    monkeypatch.setattr('maxsight.engine.resume.find_resume_checkpoint',
                        lambda work_dir: f'{work_dir}/epoch_1.pth')
    ladder._train(config, 0, 2, work_dir, None, init='base.pth')
    assert seen == [(False, 'base.pth'), (True, None), (True, None)]


def test_the_clip_control_differs_from_t5_only_by_the_temporal_parts():
    from maxsight.utils import load_config
    t4 = load_config('configs/t4_clip_frames_finetune.py')
    t5 = load_config('configs/t5_temporal_finetune.py')
    frames = t5.train_dataloader.batch_size * t5.train_dataloader.dataset.clip_length
    assert t4.train_dataloader.batch_size == frames == 16
    for key in ('param_scheduler', 'train_cfg', 'randomness', 'embedded_dataset'):
        assert t4[key] == t5[key], key
    # the measured clip stage: 800 training clips, 400 iterations of 16 frames each
    assert t5.embedded_dataset.num_train_clips == 800
    frames_per_epoch = 800 * t5.train_dataloader.dataset.clip_length
    assert t5.train_cfg.max_epochs * frames_per_epoch // frames == 400
    # the same optimiser; T5's motion refiner, new in the fine-tune, at its own rate
    motion = t5.optim_wrapper.paramwise_cfg.custom_keys.pop('motion')
    assert motion == dict(lr_mult=10.0) and t5.optim_wrapper.paramwise_cfg.custom_keys == {}
    t5.optim_wrapper.paramwise_cfg.pop('custom_keys')
    assert t4.optim_wrapper == t5.optim_wrapper
    # the refit fits the control's beside output and T5's motion refiner, so T5's beside
    # output trains alongside (on detached features: it does not bend the detector)
    assert t4.custom_hooks == t5.custom_hooks == [dict(type='AnswerRefitHook', steps=2000,
                                                       lr=1e-3)]
    assert t5.model.bbox_head.pop('loss_beside') == dict(type='CrossEntropyLoss',
                                                          loss_weight=0.2)
    assert t4.model.bbox_head == t5.model.bbox_head
    assert t4.model.audio_fusion == t5.model.audio_fusion
    for split in ('train', 'val'):
        loader = f'{split}_dataloader'
        assert t4[loader].dataset.ann_file == t5[loader].dataset.ann_file == \
            f'annotations/{split}_clips.json'


@pytest.mark.parametrize('argv, message', [
    (['--epochs', '0'], '--epochs must be >= 1'),
    (['--seeds', '1', '1'], '--seeds must differ'),
    (['--init-from', 'base_{epoch}.pth'], '--init-from may contain only {seed}')])
def test_bad_arguments_are_refused(argv, message, capsys):
    import importlib.util
    import os.path as osp

    from ..helpers import ROOT
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'tier_ladder.py')
    spec = importlib.util.spec_from_file_location('tool_tier_ladder', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as exit_info:
        tool.main(argv + ['--work-root', '/tmp/never'])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err

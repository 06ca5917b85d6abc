import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

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


def _metrics_with_every_section():
    m = {'coco/bbox_mAP': 0.41234, 'distance/mae_m': 1.5, 'urgency/accuracy': 0.75,
         'scene/urgency_accuracy': 0.5, 'assistive/ignored': 9.0,
         'lighting/dark/bbox_mAP': 0.2, 'lighting/dark/recall': 0.6,
         'lighting/dark/num_images': 3.0, 'lighting/bright/bbox_mAP': 0.3,
         'lighting/bright/recall': 0.7, 'lighting/bright/num_images': 5.0,
         'lighting/P': 0.4, 'lighting/mPC': 0.25, 'lighting/rPC': 0.625,
         'condition/none/bbox_mAP': 0.4, 'condition/amd/bbox_mAP': 0.3,
         'condition/amd/rel_change': -0.25, 'condition/amd/embedding_trained': 0.0,
         'condition/cvi/bbox_mAP': 0.42, 'condition/cvi/rel_change': 0.05,
         'condition/cvi/embedding_trained': 1.0, 'condition/rp/bbox_mAP': 0.4,
         'condition/rp/rel_change': 0.0}
    for s in (1, 2, 3, 4, 5):
        m[f'lighting/glare/{s}/bbox_mAP'] = 0.1 * s
    m.pop('lighting/glare/4/bbox_mAP')  # a missing severity reads n/a
    return m


EXPECTED_REPORT = """# MaxSight evaluation report

| metric | value |
|---|---|
| coco/bbox_mAP | 0.4123 |
| distance/mae_m | 1.5000 |
| scene/urgency_accuracy | 0.5000 |
| urgency/accuracy | 0.7500 |

## Safety gates

PASS: the 95 % Wilson interval clears the threshold; PASS (point only): the estimate does, \
the interval does not; FAIL: the estimate does not.

| gate | value | 95 % interval | n | verdict |
|---|---|---|---|---|
| assistive/hazard_recall >= 0.95 | 0.9600 | 0.9300 - 0.9800 | 370 | PASS (point only) |
| assistive/zone_accuracy >= 0.85 | n/a | n/a | n/a | FAIL |

## Lighting buckets

| bucket | images | bbox_mAP | recall@0.5 |
|---|---|---|---|
| dark | 3 | 0.2000 | 0.6000 |
| bright | 5 | 0.3000 | 0.7000 |

![per lighting bucket](lighting_buckets.png)

## Lighting robustness

P = 0.4000, mPC = 0.2500, rPC = 0.6250

| corruption | s1 | s2 | s3 | s4 | s5 |
|---|---|---|---|---|---|
| glare | 0.1000 | 0.2000 | 0.3000 | n/a | 0.5000 |

![mAP against corruption severity](lighting_robustness.png)

## Vision conditions

no condition: bbox_mAP 0.4000

| condition | bbox_mAP | change vs none | condition embedding |
|---|---|---|---|
| amd | 0.3000 | -25.0 % | never trained: preprocessing only |
| cvi | 0.4200 | +5.0 % | trained |
| rp | 0.4000 | +0.0 % | n/a |

![per vision condition](conditions.png)
"""


def test_report_text_and_plots(tmp_path):
    from PIL import Image

    from maxsight.evaluation.robustness import write_report
    gates = {'assistive/hazard_recall': dict(value=0.96, op='>=', threshold=0.95, passed=True,
                                             n=370, ci_low=0.93, ci_high=0.98,
                                             verdict='PASS (point only)'),
             'assistive/zone_accuracy': dict(value=None, op='>=', threshold=0.85,
                                             passed=False)}
    written = write_report(_metrics_with_every_section(), str(tmp_path / 'r'), gates)
    names = [p.rsplit('/', 1)[1] for p in written]
    assert names == ['report.md', 'report.html', 'lighting_buckets.png',
                     'lighting_robustness.png', 'conditions.png']
    assert open(written[0]).read() == EXPECTED_REPORT
    # figure sizes in inches at 100 dpi
    assert [Image.open(p).size for p in written[2:]] == [(600, 350), (600, 350), (700, 350)]
    # the HTML page embeds every linked PNG and holds every table
    page = open(written[1]).read()
    assert page.count('src="data:image/png;base64,') == 3
    assert page.count('<table>') == sum(line.startswith('|---')
                                        for line in EXPECTED_REPORT.splitlines()) == 5
    assert '<td>assistive/hazard_recall &gt;= 0.95</td>' in page


def test_report_of_coco_metrics_alone_has_no_other_section(tmp_path):
    from maxsight.evaluation.robustness import write_report
    written = write_report({'coco/bbox_mAP': 0.5}, str(tmp_path))
    assert written == [str(tmp_path / 'report.md'), str(tmp_path / 'report.html')]
    assert open(written[0]).read() == ('# MaxSight evaluation report\n\n| metric | value |\n'
                                       '|---|---|\n| coco/bbox_mAP | 0.5000 |\n')


def test_condition_evaluation_inserts_each_conditions_transform(monkeypatch):
    from maxsight.datasets.transforms.vision_conditions import condition_transform_cfg
    from maxsight.evaluation import robustness
    seen = []

    def fake_evaluate(model, cfg, metrics, seed):
        seen.append((cfg['dataset']['pipeline'][1], metrics, seed))
        return {'coco/bbox_mAP': (0.3, 0.5)[(len(seen) - 1) % 2]}
    monkeypatch.setattr(robustness, 'evaluate_model', fake_evaluate)
    loader = dict(dataset=dict(data_root='d/', ann_file='a.json',
                               pipeline=[dict(type='LoadImageFromFile'),
                                         dict(type='PackDetInputs')]))
    out = robustness.condition_evaluation('model', loader, 0.4, conditions=('amd', 'cvi'),
                                          seed=7)
    assert [s[0] for s in seen] == [condition_transform_cfg('amd'),
                                    condition_transform_cfg('cvi')]
    assert all(s[2] == 7 for s in seen)
    assert seen[0][1] == [dict(type='CocoMetric', ann_file='d/a.json', classwise=False,
                               quiet=True, backend='auto')]
    assert out == pytest.approx({'condition/none/bbox_mAP': 0.4,
                                 'condition/amd/bbox_mAP': 0.3,
                                 'condition/amd/rel_change': 0.3 / 0.4 - 1,
                                 'condition/cvi/bbox_mAP': 0.5,
                                 'condition/cvi/rel_change': 0.5 / 0.4 - 1,
                                 # a model without a condition embedding: preprocessing only
                                 'condition/amd/embedding_trained': 0.0,
                                 'condition/cvi/embedding_trained': 0.0})
    zero = robustness.condition_evaluation('model', loader, 0.0, conditions=('amd',))
    assert zero['condition/amd/rel_change'] == 0.0
    assert len(loader['dataset']['pipeline']) == 2  # the caller's config is untouched


class _OracleModel(torch.nn.Module):
    """Predicts each image's ground truth with score 1 when the image's mean pixel is at
    least ``min_mean``, nothing otherwise; records the means it saw."""

    def __init__(self, min_mean: float):
        super().__init__()
        self.min_mean, self.means = min_mean, []

    def test_step(self, data):
        out = []
        for img, sample in zip(data['inputs'], data['data_samples']):
            mean = img.float().mean().item()
            self.means.append(mean)
            gt = sample.gt_instances
            keep = mean >= self.min_mean
            scale = gt.bboxes.new_tensor(sample.scale_factor).repeat(2)
            n = len(gt) * keep
            pred = InstanceData(bboxes=(gt.bboxes / scale)[:n], labels=gt.labels[:n],
                                scores=torch.ones(n), distance_m=gt.distance_m[:n],
                                distance_zone=gt.distance_zone[:n], urgency=gt.urgency[:n])
            sample.pred_instances = pred
            out.append(sample)
        return out


def test_evaluate_model_runs_the_loader_through_the_metric(tiny_synth):
    cfg = Config.fromfile('tests/configs/tiny_t2.py')
    loader = cfg.test_dataloader
    loader.dataset.data_root = tiny_synth + '/'
    loader.update(num_workers=0, persistent_workers=False)
    from maxsight.evaluation.robustness import _coco_only, evaluate_model, lighting_robustness
    oracle = _OracleModel(min_mean=0.0)
    res = evaluate_model(oracle, loader, _coco_only(loader))
    assert res['coco/bbox_mAP'] == pytest.approx(1.0)
    assert len(oracle.means) == 8  # every val image once
    assert not oracle.training
    # severity 5 low light darkens every image below what severity 1 leaves
    blind = _OracleModel(min_mean=1e9)
    out = lighting_robustness(blind, loader, clean_map=1.0, corruptions=('low_light',),
                              severities=(1, 5))
    assert out['lighting/low_light/1/bbox_mAP'] == 0.0 and out['lighting/mPC'] == 0.0
    means = np.array(blind.means).reshape(2, 8)
    assert (means[1] < means[0]).all()


def test_report_shows_the_worst_missed_hazards(tmp_path):
    import numpy as np
    from PIL import Image

    from maxsight.evaluation.robustness import write_report
    img = tmp_path / 'street.png'
    Image.new('RGB', (160, 120), (90, 90, 90)).save(img)
    example = dict(img_path=str(img), gt_boxes=np.array([[10., 10., 50., 60.]]),
                   gt_labels=np.array([1]), gt_urgency=np.array([3]),
                   gt_distance=np.array([1.8]), boxes=np.array([[90., 20., 120., 50.]]),
                   labels=np.array([0]), scores=np.array([0.6]), distance=np.array([7.0]),
                   urgency=np.array([0]))
    written = write_report({'coco/bbox_mAP': 0.5}, str(tmp_path / 'r'), None, [example],
                           ['bench', 'car'])
    md = open(written[0]).read()
    assert '## Worst missed hazards' in md and '![missed hazards 1](missed_hazard_1.png)' in md
    assert Image.open(tmp_path / 'r' / 'missed_hazard_1.png').size[1] > 480
    assert open(written[1]).read().count('data:image/png;base64,') == 1

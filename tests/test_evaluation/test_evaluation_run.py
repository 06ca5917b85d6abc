"""configure_evaluation: what tools/test.py's options do to a config, and the matching
defaults every analysis tool shares with AssistiveMetric."""
import argparse
import inspect

import pytest
from mmengine.config import Config

from maxsight.evaluation.evaluation_run import configure_evaluation
from maxsight.evaluation.metrics.assistive_metric import AssistiveMetric


def _cfg():
    return Config(dict(test_evaluator=[dict(type='CocoMetric', ann_file=None),
                                       dict(type='AssistiveMetric')],
                       train_dataloader=dict(), load_from=None, resume=True))


def test_pred_out_goes_to_the_coco_metric_and_lighting_adds_one_lighting_metric(tmp_path):
    import torch
    ckpt = tmp_path / 'm.pth'
    torch.save({'state_dict': {}}, str(ckpt))
    cfg = configure_evaluation(_cfg(), str(ckpt), pred_out='p.json', lighting=True)
    assert [m['type'] for m in cfg.test_evaluator] == ['CocoMetric', 'AssistiveMetric',
                                                       'LightingMetric']
    assert cfg.test_evaluator[0]['pred_out'] == 'p.json'
    assert 'pred_out' not in cfg.test_evaluator[1]
    assert (cfg.load_from, cfg.resume, cfg.train_dataloader) == (str(ckpt), False, None)
    again = configure_evaluation(cfg, str(ckpt), lighting=True)  # already there: not twice
    assert [m['type'] for m in again.test_evaluator].count('LightingMetric') == 1
    no_coco = _cfg()
    no_coco.test_evaluator = [dict(type='AssistiveMetric')]
    with pytest.raises(ValueError, match='--pred-out needs a CocoMetric in test_evaluator'):
        configure_evaluation(no_coco, str(ckpt), pred_out='p.json')


def test_analysis_tools_match_as_the_metric_does_by_default():
    from maxsight.utils.cli import add_matching_arguments
    parser = argparse.ArgumentParser()
    add_matching_arguments(parser)
    args = parser.parse_args([])
    defaults = inspect.signature(AssistiveMetric).parameters
    assert (args.score_thr, args.iou_thr) == (defaults['score_thr'].default,
                                              defaults['iou_thr'].default) == (0.3, 0.5)

"""Evaluation under lighting corruptions and vision conditions (test.py --lighting,
--conditions), with a markdown report and PNG plots.

Robustness protocol (Michaelis et al. 2019): P = clean mAP; every corruption of
``LIGHTING_CORRUPTIONS`` at severities 1-5; mPC = mean mAP over corruptions x severities;
rPC = mPC / P.
"""
import copy
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence

import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from ..datasets.transforms import LIGHTING_CORRUPTIONS, VISION_CONDITIONS
from ..datasets.transforms.vision_conditions import condition_transform_cfg
from ..utils.cli import unwrap_model
from ..utils.config_preparation import dataset_ann_file, insert_after_loading

SEVERITIES = (1, 2, 3, 4, 5)


def evaluate_model(model: torch.nn.Module, dataloader_cfg: dict, metrics: List[dict],
                   seed: int = 0) -> Dict[str, float]:
    """Run ``model.test_step`` over a dataloader built from ``dataloader_cfg`` and return
    what ``metrics`` (METRICS configs) compute, as mmengine's TestLoop does."""
    loader = Runner.build_dataloader(dataloader_cfg, seed=seed)
    evaluator = Evaluator(metrics)
    evaluator.dataset_meta = loader.dataset.metainfo
    model.eval()
    with torch.no_grad():
        for data in loader:
            evaluator.process(data_samples=model.test_step(data), data_batch=data)
    return evaluator.evaluate(len(loader.dataset))


def _with_transform(dataloader_cfg: dict, transform: dict) -> dict:
    """A deep copy of ``dataloader_cfg`` with ``transform`` right after image loading
    (the caller's config is left untouched)."""
    cfg = copy.deepcopy(dataloader_cfg)
    cfg['dataset']['pipeline'] = insert_after_loading(cfg['dataset']['pipeline'], transform)
    return cfg


def _coco_only(dataloader_cfg: dict) -> List[dict]:
    return [dict(type='CocoMetric', ann_file=dataset_ann_file(dataloader_cfg['dataset']),
                 classwise=False, quiet=True, backend='auto')]


def lighting_robustness(model: torch.nn.Module, dataloader_cfg: dict, clean_map: float,
                        corruptions: Iterable[str] = tuple(LIGHTING_CORRUPTIONS),
                        severities: Sequence[int] = SEVERITIES, seed: int = 0
                        ) -> Dict[str, float]:
    """``lighting/<corruption>/<severity>/bbox_mAP`` for every pair, ``lighting/mPC`` and
    ``lighting/rPC`` (0.0 when the clean mAP is 0)."""
    out = {}
    corruptions = list(corruptions)
    bar = _passes(len(corruptions) * len(severities), 'lighting corruption passes')
    for name in corruptions:
        for sev in severities:
            cfg = _with_transform(dataloader_cfg, dict(type='LightingCorruption', name=name,
                                                       severity=sev, seed=seed))
            res = evaluate_model(model, cfg, _coco_only(dataloader_cfg), seed)
            out[f'lighting/{name}/{sev}/bbox_mAP'] = res['coco/bbox_mAP']
            print_log(f'lighting {name} severity {sev}: bbox_mAP {res["coco/bbox_mAP"]:.4f}',
                      logger='current')
            bar.update()
    values = list(out.values())
    out['lighting/P'] = clean_map
    out['lighting/mPC'] = sum(values) / len(values)
    out['lighting/rPC'] = out['lighting/mPC'] / clean_map if clean_map > 0 else 0.0
    return out


def condition_evaluation(model: torch.nn.Module, dataloader_cfg: dict, clean_map: float,
                         conditions: Iterable[str] = VISION_CONDITIONS, seed: int = 0
                         ) -> Dict[str, float]:
    """``condition/<name>/bbox_mAP`` with that condition's preprocessing (and model
    condition input), ``condition/<name>/rel_change`` = mAP / clean mAP - 1 and
    ``condition/<name>/embedding_trained``: 1 when the model's condition embedding of
    ``name`` was trained, 0 when it was not (or the model has none): then the model ran
    without it (ConditionFiLM) and the mAP is the preprocessing's alone."""
    film = getattr(unwrap_model(model), 'condition_film', None) if model is not None else None
    trained = set(film.trained_conditions()) if film is not None else set()
    out = {'condition/none/bbox_mAP': clean_map}
    conditions = list(conditions)
    bar = _passes(len(conditions), 'vision condition passes')
    for name in conditions:
        cfg = _with_transform(dataloader_cfg, condition_transform_cfg(name))
        m = evaluate_model(model, cfg, _coco_only(dataloader_cfg), seed)['coco/bbox_mAP']
        out[f'condition/{name}/bbox_mAP'] = m
        out[f'condition/{name}/rel_change'] = m / clean_map - 1 if clean_map > 0 else 0.0
        out[f'condition/{name}/embedding_trained'] = float(name in trained)
        how = 'with its trained embedding' if name in trained else \
            'preprocessing only (the model has no trained embedding for it)'
        print_log(f'condition {name}: bbox_mAP {m:.4f}, {how}', logger='current')
        bar.update()
    return out


def _passes(total: int, what: str) -> ProgressBar:
    """A progress bar with ETA over the evaluation passes (one pass = the whole split)."""
    print_log(f'{total} {what} over the test split', logger='current')
    return ProgressBar(total)


def parse_conditions(text: str) -> List[str]:
    """``all`` or a comma-separated list of condition names (validated)."""
    if text == 'all':
        return list(VISION_CONDITIONS)
    names = [n.strip() for n in text.split(',') if n.strip()]
    unknown = [n for n in names if n not in VISION_CONDITIONS]
    if unknown or not names:
        raise ValueError(f'--conditions: unknown {unknown or text!r}; use all or a comma list '
                         f'of: {", ".join(VISION_CONDITIONS)}')
    return names


def write_report(metrics: Dict[str, float], out_dir: str,
                 gates: Optional[Dict[str, dict]] = None,
                 missed_hazards: Sequence[dict] = (),
                 class_names: Sequence[str] = ()) -> List[str]:
    """Markdown report (``report.md``, linking its PNGs), PNG plots of whatever sections
    ``metrics`` has, pictures of the ``missed_hazards`` examples (AssistiveMetric's) and
    ``report.html`` with all of it embedded; returns the written paths."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    lines = ['# MaxSight evaluation report', '', '| metric | value |', '|---|---|']
    for key in sorted(k for k in metrics if k.startswith(('coco/', 'distance/', 'urgency/',
                                                          'scene/'))):
        lines.append(f'| {key} | {metrics[key]:.4f} |')
    written = []
    if gates:
        lines += ['', '## Safety gates', '',
                  'PASS: the 95 % Wilson interval clears the threshold; PASS (point only): '
                  'the estimate does, the interval does not; FAIL: the estimate does not.', '',
                  '| gate | value | 95 % interval | n | verdict |', '|---|---|---|---|---|']
        for key, g in gates.items():
            value = 'n/a' if g['value'] is None else f'{g["value"]:.4f}'
            ci = 'n/a' if g.get('n') is None else f'{g["ci_low"]:.4f} - {g["ci_high"]:.4f}'
            n = 'n/a' if g.get('n') is None else str(g['n'])
            verdict = g.get('verdict', 'PASS' if g['passed'] else 'FAIL')
            lines.append(f'| {key} {g["op"]} {g["threshold"]} | {value} | {ci} | {n} | '
                         f'{verdict} |')
    buckets = [k.split('/')[1] for k in metrics if k.startswith('lighting/')
               and k.endswith('/recall')]
    if buckets:
        lines += ['', '## Lighting buckets', '', '| bucket | images | bbox_mAP | recall@0.5 |',
                  '|---|---|---|---|']
        for b in buckets:
            lines.append(f'| {b} | {int(metrics.get(f"lighting/{b}/num_images", 0))} | '
                         f'{metrics[f"lighting/{b}/bbox_mAP"]:.4f} | '
                         f'{metrics[f"lighting/{b}/recall"]:.4f} |')
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.bar(buckets, [metrics[f'lighting/{b}/bbox_mAP'] for b in buckets], label='mAP')
        ax.plot(buckets, [metrics[f'lighting/{b}/recall'] for b in buckets], 'ko-',
                label='recall@0.5')  # pragma: no mutate
        ax.set_ylabel('score')  # pragma: no mutate
        ax.set_title('Per lighting bucket')  # pragma: no mutate
        ax.legend()  # pragma: no mutate
        written.append(_save(fig, out_dir, 'lighting_buckets.png'))
        lines += ['', '![per lighting bucket](lighting_buckets.png)']
    corr = sorted({k.split('/')[1] for k in metrics if k.count('/') == 3
                   and k.startswith('lighting/')})
    if corr:
        lines += ['', '## Lighting robustness', '',
                  f'P = {metrics["lighting/P"]:.4f}, mPC = {metrics["lighting/mPC"]:.4f}, '
                  f'rPC = {metrics["lighting/rPC"]:.4f}', '',
                  '| corruption | ' + ' | '.join(f's{s}' for s in SEVERITIES) + ' |',
                  '|---|' + '---|' * len(SEVERITIES)]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for name in corr:
            vals = [metrics.get(f'lighting/{name}/{s}/bbox_mAP') for s in SEVERITIES]
            lines.append(f'| {name} | ' + ' | '.join(
                'n/a' if v is None else f'{v:.4f}' for v in vals) + ' |')
            ax.plot([0] + list(SEVERITIES), [metrics['lighting/P']] + vals, marker='o',
                    label=name)  # pragma: no mutate
        ax.set_xlabel('severity (0 = clean)')  # pragma: no mutate
        ax.set_ylabel('bbox mAP')  # pragma: no mutate
        ax.set_title('mAP against corruption severity')  # pragma: no mutate
        ax.legend()  # pragma: no mutate
        written.append(_save(fig, out_dir, 'lighting_robustness.png'))
        lines += ['', '![mAP against corruption severity](lighting_robustness.png)']
    conds = [k.split('/')[1] for k in metrics if k.startswith('condition/')
             and k.endswith('/rel_change')]
    if conds:
        lines += ['', '## Vision conditions', '',
                  f'no condition: bbox_mAP {metrics["condition/none/bbox_mAP"]:.4f}', '',
                  '| condition | bbox_mAP | change vs none | condition embedding |',
                  '|---|---|---|---|']
        for c in conds:
            trained = metrics.get(f'condition/{c}/embedding_trained')
            embedding = 'n/a' if trained is None else \
                ('trained' if trained else 'never trained: preprocessing only')
            lines.append(f'| {c} | {metrics[f"condition/{c}/bbox_mAP"]:.4f} | '
                         f'{100 * metrics[f"condition/{c}/rel_change"]:+.1f} % | {embedding} |')
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.bar(conds, [100 * metrics[f'condition/{c}/rel_change'] for c in conds])
        ax.axhline(0, color='k', linewidth=0.8)  # pragma: no mutate
        ax.set_ylabel('mAP change vs no condition (%)')  # pragma: no mutate
        ax.tick_params(axis='x', labelrotation=60)  # pragma: no mutate
        ax.set_title('Per vision condition')  # pragma: no mutate
        written.append(_save(fig, out_dir, 'conditions.png'))
        lines += ['', '![per vision condition](conditions.png)']
    if missed_hazards:
        from .report_html import write_missed_hazard_pictures
        pictures = write_missed_hazard_pictures(missed_hazards, class_names, out_dir)
        lines += ['', '## Worst missed hazards', '',
                  'The images with the most ground-truth hazards that no shown detection '
                  'found: the missed hazards on the left, what the user was shown on the '
                  'right.']
        lines += [f'![missed hazards {k}]({osp.basename(p)})'
                  for k, p in enumerate(pictures, 1)]
        written += pictures
    path = osp.join(out_dir, 'report.md')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    from .report_html import write_html
    return [path, write_html(path)] + written


def _save(fig, out_dir: str, name: str) -> str:
    import matplotlib.pyplot as plt
    path = osp.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

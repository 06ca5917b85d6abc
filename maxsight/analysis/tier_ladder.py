"""The tier ladder (``tools/analysis_tools/tier_ladder.py``): every tier trained with the
same schedule over several seeds, scored on the held-out split on the metrics it is built
for, and compared with the tier below it.

One run = one (tier config, seed): trained into ``<root>/<tier>_seed<seed>`` with
``train_cfg.max_epochs`` set (the schedule follows it) and validation only after the last
epoch (the operating point is calibrated there, on val), then tested on the held-out split
with that operating point. Its metrics go to ``ladder_result.json`` in the run's folder,
with the SHA-256 of the held-out annotation file they were scored on. A run that has a
result for the current held-out file is not repeated; one scored on another file (e.g. the
embedded split generated again at a new size) is tested again without training, its old
result, predictions and report set aside under ``.scored_on_<digest>`` names. A run killed
during training resumes.

``init_from`` (a checkpoint path, ``{seed}`` standing for the run's seed) starts every run
from a trained lower tier instead of from scratch, with the transfer of ``load_from``: the
clip stage of the ladder fine-tunes T4's image runs on the clip split, once frame by frame
(``t4_clip_frames_finetune``, the control) and once as clips (``t5_temporal_finetune``).

A run's folder also keeps ``ladder_config.json``: a SHA-256 of each part of its config that
decides what it trains (:data:`TRAINING_SECTIONS`, after ``cfg_options``), and the version
of the generator that wrote the embedded data it trained on (``embedded_generator``). A
ladder asked to reuse a run whose config or embedded data has since changed (a tier's
modules, its data, its schedule) stops before anything trains and names the parts that
differ, so that results of an old model never stand in a table beside new ones. Runs from
before this record, and parts a record predates, are reused as they are.

``test_options`` (config overrides of the test step alone, e.g. ``use_operating_point=False``
with ``model.bbox_head.test_cfg.hazard_prob_thr=None`` for each model's own urgency call)
score the same checkpoints another way: their results, predictions, reports and table go
to files of their own (:func:`file_suffix`), so no run trains again and no stored result
is overwritten.

A tier *beats* the one below on a metric when its mean over the seeds is better by more
than the seed spread: the larger of the two tiers' ranges (max - min over the seeds), each
over at least :data:`MIN_SEEDS` seeds.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..datasets.synthetic.audio import SOUNDING_CLASSES

#: what each tier is built to improve over the tier below it (docs/tiers.md)
TARGETS = {
    't0_baseline': (),
    't1_attention': ('scene/urgency_acc',),
    't2_default': ('urgency/acc_context',),
    't3_cross_task': ('urgency/acc', 'urgency/hazard_recall'),
    't4_cross_modal': ('hazard_recall/occluded_sounding', 'urgency/beside_hazard_recall'),
    't5_temporal': ('urgency/acc_approaching', 'distance/mae_m'),
    't4_clip_frames_finetune': (),
    't5_temporal_finetune': ('urgency/acc_approaching', 'distance/mae_m'),
}
LOWER_IS_BETTER = frozenset({'distance/mae_m'})
#: the columns of the table, every tier
REPORTED = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'distance/zone_acc', 'distance/mae_m',
            'urgency/acc', 'urgency/hazard_recall', 'scene/urgency_acc',
            'hazard_recall/occluded', 'hazard_recall/occluded_sounding',
            'hazard_recall/truncated', 'hazard_recall/out_of_view',
            'urgency/beside_hazard_recall', 'urgency/beside_false_alerts_per_image',
            'urgency/acc_moving')
#: an occluded hazard: at least this share of its box hidden by nearer objects
OCCLUDED_FROM = 0.3
#: a truncated hazard: at least this share of its box outside the frame
TRUNCATED_FROM = 0.01
#: an out-of-view hazard: at least half of its box outside the frame (its centre unseen)
OUT_OF_VIEW_FROM = 0.5
#: the edge cases of :func:`hazard_recall_of_edge_cases`: (name, annotation field, from,
#: the class names counted or None for all); occluded_sounding: the occluded hazards of the
#: classes that make a sound in the embedded data, all that audio can reveal
EDGE_CASES = (('occluded', 'occlusion', OCCLUDED_FROM, None),
              ('occluded_sounding', 'occlusion', OCCLUDED_FROM, SOUNDING_CLASSES),
              ('truncated', 'truncation', TRUNCATED_FROM, None),
              ('out_of_view', 'truncation', OUT_OF_VIEW_FROM, None))
RESULT_FILE = 'ladder_result.json'
#: the record of what a run was trained with (:func:`training_digests`)
CONFIG_RECORD = 'ladder_config.json'
#: the parts of a config that decide what a run trains
TRAINING_SECTIONS = ('model', 'train_dataloader', 'optim_wrapper', 'param_scheduler',
                     'train_cfg', 'randomness', 'custom_hooks', 'embedded_dataset',
                     'vision_condition')
#: loader settings of the machine, not of the training
_MACHINE_KEYS = ('num_workers', 'persistent_workers', 'pin_memory', 'prefetch_factor')
#: the fewest seeds (of both tiers) a verdict needs
MIN_SEEDS = 2


def file_suffix(test_options: Optional[dict]) -> str:
    """'' for the default test; else ``_test-<8 hex digits>`` from the sorted options, the
    part that tells apart the files of one scoring of the runs."""
    if not test_options:
        return ''
    key = json.dumps(sorted(test_options.items()), default=str)
    return '_test-' + hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]


def result_file(root: str, config: str, seed: int,
                test_options: Optional[dict] = None) -> str:
    """Where one run's held-out metrics are stored (for one scoring, ``test_options``)."""
    name = RESULT_FILE.replace('.json', file_suffix(test_options) + '.json')
    return osp.join(run_dir(root, config, seed), name)


def tier_name(config: str) -> str:
    """``configs/t2_default.py`` -> ``t2_default``."""
    return osp.splitext(osp.basename(config))[0]


def run_dir(root: str, config: str, seed: int) -> str:
    """Folder of one run: ``<root>/<tier>_seed<seed>``."""
    return osp.join(root, f'{tier_name(config)}_seed{seed}')


def _run_options(seed: int, epochs: int, cfg_options: Optional[dict]) -> dict:
    return dict(cfg_options or {}, **{'randomness.seed': seed, 'train_cfg.max_epochs': epochs,
                                      'train_cfg.val_interval': epochs})


def _test_config_options(seed: int, epochs: int, test_ann: str, cfg_options: Optional[dict],
                         test_options: Optional[dict]) -> dict:
    return dict(_run_options(seed, epochs, cfg_options),
                **{'test_dataloader.dataset.ann_file': test_ann}, **(test_options or {}))


def training_digests(config: str, seed: int, epochs: int, cfg_options: Optional[dict],
                     init: Optional[str] = None) -> Dict[str, str]:
    """{section: SHA-256 hex digest} of each of :data:`TRAINING_SECTIONS` of the run's
    config (``cfg_options`` merged, the file not yet prepared for a run), the dataloader
    without its machine settings, plus ``init_from``: the checkpoint the run starts from."""
    from ..utils import load_config
    cfg = load_config(config, _run_options(seed, epochs, cfg_options))
    parts = {name: cfg.get(name) for name in TRAINING_SECTIONS}
    if parts['train_dataloader'] is not None:
        parts['train_dataloader'] = {k: v for k, v in parts['train_dataloader'].items()
                                     if k not in _MACHINE_KEYS}
    parts['init_from'] = init
    parts['embedded_generator'] = embedded_generator(cfg)
    return {name: hashlib.sha256(json.dumps(value, sort_keys=True, default=str)
                                 .encode('utf-8')).hexdigest()
            for name, value in parts.items()}


def embedded_generator(cfg) -> Optional[str]:
    """The generator (and signal-set) version of the embedded data a config trains on, or
    None for a config without ``embedded_dataset`` (the user's own files)."""
    from ..datasets.synthetic.generator import GENERATOR_VERSION, SIGNAL_SET_VERSION
    spec = cfg.get('embedded_dataset')
    if not spec:
        return None
    return GENERATOR_VERSION + (f' signal {SIGNAL_SET_VERSION}'
                                if spec.get('traffic_signal', False) else '')


def check_training_record(work_dir: str, config: str, digests: Dict[str, str]) -> None:
    """Refuse (ValueError) to reuse a run whose :data:`CONFIG_RECORD` differs from
    ``digests``, naming the parts that differ; a run without the record passes, and so
    does a part its record predates (``embedded_generator`` before 2026-12-07)."""
    path = osp.join(work_dir, CONFIG_RECORD)
    if not osp.isfile(path):
        return
    with open(path) as f:
        stored = json.load(f).get('digests', {})
    changed = [name for name in digests if name in stored and stored[name] != digests[name]]
    if changed:
        raise ValueError(
            f'{work_dir} was trained with another {", ".join(changed)} than {config} gives '
            'now; train into a new --work-root (linking in the runs that did not change), or '
            'move that run folder away')


def held_out_digest(config: str, seed: int, epochs: int, test_ann: str,
                    cfg_options: Optional[dict], test_options: Optional[dict]
                    ) -> Tuple[str, str]:
    """The held-out annotation file a run is tested on and its SHA-256 hex digest. A split
    of the embedded data that is missing, or no longer what ``embedded_dataset`` asks for,
    is generated first."""
    from ..utils import load_config
    from ..utils.config_preparation import dataset_ann_file, ensure_embedded_dataset
    cfg = load_config(config, _test_config_options(seed, epochs, test_ann, cfg_options,
                                                   test_options))
    ensure_embedded_dataset(cfg, splits=('test',))
    ann_file = dataset_ann_file(cfg.test_dataloader.dataset)
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'held-out annotation file not found: {ann_file} (--test-ann '
                                'is relative to the test dataloader\'s data_root)')
    digest = hashlib.sha256()
    with open(ann_file, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return ann_file, digest.hexdigest()


def set_aside_stale_result(work_dir: str, suffix: str, digest: Optional[str]) -> List[str]:
    """Rename a run's result, predictions and report of one scoring (``suffix``), scored on
    the held-out file of SHA-256 ``digest`` (None: a result that predates digests), to
    ``.scored_on_<first 8 hex digits or 'unknown'>`` names, numbered when taken. Returns
    the new paths."""
    tag = f'.scored_on_{(digest or "unknown")[:8]}'
    moved = []
    for name in (f'ladder_result{suffix}.json', f'ladder_test_predictions{suffix}.json',
                 f'ladder_report{suffix}'):
        path = osp.join(work_dir, name)
        if not osp.exists(path):
            continue
        stem, ext = osp.splitext(path) if name.endswith('.json') else (path, '')
        target, n = f'{stem}{tag}{ext}', 1
        while osp.exists(target):
            n += 1
            target = f'{stem}{tag}_{n}{ext}'
        os.replace(path, target)
        moved.append(target)
    return moved


def init_checkpoint(init_from: Optional[str], seed: int) -> Optional[str]:
    """The checkpoint a run of ``seed`` starts from: ``init_from`` with ``{seed}`` filled
    in, or None (from scratch)."""
    return None if init_from is None else init_from.format(seed=seed)


def _train(config: str, seed: int, epochs: int, work_dir: str,
           cfg_options: Optional[dict], init: Optional[str] = None) -> str:
    """Train one run (resuming a killed one; a new one starts from ``init`` when given);
    returns its last checkpoint."""
    from ..engine import build_runner
    from ..engine.resume import find_resume_checkpoint
    from ..utils import load_config
    from ..utils.cli import clean_work_dir_on_failure
    checkpoint = osp.join(work_dir, f'epoch_{epochs}.pth')
    if osp.isfile(checkpoint):
        return checkpoint
    cfg = load_config(config, _run_options(seed, epochs, cfg_options), work_dir)
    cfg.resume, cfg.load_from = True, None
    if init is not None and find_resume_checkpoint(work_dir) is None:
        cfg.resume, cfg.load_from = False, init  # a new run: transfer from the lower tier
    cfg.experiment_name = f'ladder_{osp.basename(work_dir)}_{time.time_ns()}'
    with clean_work_dir_on_failure(work_dir):
        build_runner(cfg).train()
    return checkpoint


def hazard_recall_of_edge_cases(ann_file: str, pred_file: str, score_thr: float,
                                iou_thr: float = 0.5) -> Dict[str, float]:
    """Hazard recall of occluded (``occlusion`` >= :data:`OCCLUDED_FROM`), occluded of the
    classes that make a sound (named in ``SOUNDING_CLASSES``), truncated (``truncation``
    >= :data:`TRUNCATED_FROM`) and out-of-view (``truncation`` >= :data:`OUT_OF_VIEW_FROM`)
    hazards, with their counts; NaN where a split has none (or no such annotation field
    or class). Files read and matched once."""
    from ..evaluation.hazard_breakdown import bin_hazards, bin_name, outcomes_of, parse_and_match
    parsed, objects = parse_and_match(ann_file, pred_file, score_thr, iou_thr)
    outcomes = outcomes_of(objects)
    name_of = dict(zip(parsed.cat_ids, parsed.classes))
    out = {}
    for name, field, edge, classes in EDGE_CASES:
        bins = (0.0, edge, 1.01)
        kept = outcomes if classes is None else [
            o for o in outcomes if name_of.get(o[0]['category_id']) in classes]
        row = bin_hazards(kept, ann_file, field, bins).get(bin_name(edge, bins))
        out[f'hazard_recall/{name}'] = row['recall'] if row else float('nan')
        out[f'hazard_recall/{name}_n'] = float(row['hazards'] if row else 0)
    return out


def _test(config: str, seed: int, epochs: int, work_dir: str, checkpoint: str,
          test_ann: str, cfg_options: Optional[dict],
          test_options: Optional[dict] = None) -> Dict[str, float]:
    """The held-out metrics of one run, hazard recall of edge cases included."""
    from ..engine import build_runner
    from ..evaluation.evaluation_run import configure_evaluation, evaluate_with_reports
    from ..evaluation.metrics.assistive_metric import AssistiveMetric
    from ..utils import load_config
    from ..utils.config_preparation import dataset_ann_file
    cfg = load_config(config, _test_config_options(seed, epochs, test_ann, cfg_options,
                                                   test_options), work_dir)
    suffix = file_suffix(test_options)
    pred_file = osp.join(work_dir, f'ladder_test_predictions{suffix}.json')
    configure_evaluation(cfg, checkpoint, pred_out=pred_file)
    cfg.experiment_name = f'ladder_test_{osp.basename(work_dir)}_{time.time_ns()}'
    runner = build_runner(cfg)
    metrics = evaluate_with_reports(runner, report_dir=osp.join(work_dir, f'ladder_report{suffix}'))
    # the thresholds the metric's hazard recall used (the operating point's, or the config's)
    assistive = next(m for m in runner.test_loop.evaluator.metrics
                     if isinstance(m, AssistiveMetric))
    metrics.update(hazard_recall_of_edge_cases(
        dataset_ann_file(runner.cfg.test_dataloader.dataset), pred_file, assistive.score_thr,
        assistive.iou_thr))
    return metrics


def run_one(config: str, seed: int, epochs: int, root: str, test_ann: str,
            cfg_options: Optional[dict] = None, init_from: Optional[str] = None,
            test_options: Optional[dict] = None) -> Dict[str, float]:
    """Train (unless its last checkpoint exists) and test one (tier, seed) run, or read its
    stored result for the current held-out file; see the module docstring. Returns its
    held-out metrics."""
    from mmengine.logging import print_log

    from ..evaluation.metrics.coco_metric import write_json_atomic
    work_dir = run_dir(root, config, seed)
    init = init_checkpoint(init_from, seed)
    digests = training_digests(config, seed, epochs, cfg_options, init)
    check_training_record(work_dir, config, digests)
    stored = result_file(root, config, seed, test_options)
    ann_file, digest = held_out_digest(config, seed, epochs, test_ann, cfg_options,
                                       test_options)
    if osp.isfile(stored):
        with open(stored) as f:
            old = json.load(f)
        if old.get('test_ann_sha256') == digest:
            return old['metrics']
        moved = set_aside_stale_result(work_dir, file_suffix(test_options),
                                       old.get('test_ann_sha256'))
        print_log(f'{stored} was scored on another version of {ann_file}: testing again '
                  f'(the old files are now {", ".join(moved)})', logger='current',
                  level=logging.WARNING)
    start = time.perf_counter()
    record = osp.join(work_dir, CONFIG_RECORD)
    if not osp.exists(work_dir):  # a new run: what it trains with is recorded first
        write_json_atomic(record, dict(config=config, digests=digests), indent=1)
    checkpoint = _train(config, seed, epochs, work_dir, cfg_options, init)
    metrics = _test(config, seed, epochs, work_dir, checkpoint, test_ann, cfg_options,
                    test_options)
    write_json_atomic(stored, dict(config=config, seed=seed, epochs=epochs, test_ann=test_ann,
                                   test_ann_file=ann_file, test_ann_sha256=digest,
                                   init_from=init, test_options=test_options or {},
                                   metrics=metrics, seconds=time.perf_counter() - start),
                      indent=1)
    return metrics


def reported_keys(order: Sequence[str]) -> Tuple[str, ...]:
    """The table's columns for tiers ``order``: :data:`REPORTED`, then any target metric of
    theirs that is not among them (e.g. the clip stage's ``urgency/acc_approaching``)."""
    extra = [k for tier in order for k in TARGETS.get(tier, ()) if k not in REPORTED]
    return REPORTED + tuple(dict.fromkeys(extra))


def summarise(results: Dict[str, Dict[int, Dict[str, float]]],
              keys: Sequence[str] = REPORTED) -> Dict[str, Dict[str, Dict[str, float]]]:
    """{tier: {seed: metrics}} -> {tier: {key: dict(mean, min, max, spread, n)}} over the
    n seeds that have the key (NaN values, e.g. no truncated hazard in a split, left out)."""
    out = {}
    for tier, by_seed in results.items():
        out[tier] = {}
        for key in keys:
            values = np.array([m[key] for m in by_seed.values() if key in m], dtype=float)
            values = values[np.isfinite(values)]
            if len(values):
                out[tier][key] = dict(mean=float(values.mean()), min=float(values.min()),
                                      max=float(values.max()),
                                      spread=float(values.max() - values.min()),
                                      n=len(values))
    return out


def compare_to_tier_below(summary: Dict[str, Dict[str, Dict[str, float]]],
                          order: Sequence[str]) -> List[dict]:
    """For each tier after the first, each of its :data:`TARGETS` metrics: the gain of its
    mean over the tier below (signed so that positive is better), the seed spread (the
    larger range of the two) and ``beats`` = gain > spread, or None where either tier has
    the metric from fewer than :data:`MIN_SEEDS` seeds (one seed has no spread to beat)."""
    rows = []
    for below, tier in zip(order[:-1], order[1:]):
        for key in TARGETS.get(tier, ()):
            a, b = summary[below].get(key), summary[tier].get(key)
            if a is None or b is None:
                rows.append(dict(tier=tier, below=below, metric=key, gain=None, spread=None,
                                 beats=False))
                continue
            sign = -1.0 if key in LOWER_IS_BETTER else 1.0
            gain = sign * (b['mean'] - a['mean'])
            spread = max(a['spread'], b['spread'])
            enough = min(a['n'], b['n']) >= MIN_SEEDS
            rows.append(dict(tier=tier, below=below, metric=key, gain=gain, spread=spread,
                             beats=gain > spread if enough else None))
    return rows


def format_ladder(summary: Dict[str, Dict[str, Dict[str, float]]],
                  comparisons: List[dict], seeds: Sequence[int],
                  keys: Sequence[str] = REPORTED) -> str:
    """Markdown: the table of means [min, max] per tier, then the comparisons."""
    lines = [f'| tier ({len(seeds)} seeds) | ' + ' | '.join(keys) + ' |',
             '|---|' + '---|' * len(keys)]
    for tier, figures in summary.items():
        cells = [f'{f["mean"]:.3f} [{f["min"]:.3f}, {f["max"]:.3f}]' if f else '-'
                 for f in (figures.get(k) for k in keys)]
        lines.append(f'| {tier} | ' + ' | '.join(cells) + ' |')
    lines += ['', '| tier | against | target metric | gain of the mean | seed spread | '
              'beats the tier below |', '|---|---|---|---|---|---|']
    for r in comparisons:
        gain = '-' if r['gain'] is None else f'{r["gain"]:+.4f}'
        spread = '-' if r['spread'] is None else f'{r["spread"]:.4f}'
        verdict = (f'- (needs {MIN_SEEDS} seeds)' if r['beats'] is None
                   else 'yes' if r['beats'] else 'no')
        lines.append(f'| {r["tier"]} | {r["below"]} | {r["metric"]} | {gain} | {spread} | '
                     f'{verdict} |')
    return '\n'.join(lines)


def run_ladder(configs: Sequence[str], seeds: Sequence[int], epochs: int, root: str,
               test_ann: str = 'annotations/test.json',
               cfg_options: Optional[dict] = None, init_from: Optional[str] = None,
               test_options: Optional[dict] = None) -> dict:
    """Every (config, seed) run (:func:`run_one`), then the summary and comparisons;
    the whole is written to ``<root>/ladder<suffix>.json`` and ``.md`` (suffix:
    :func:`file_suffix` of ``test_options``, '' without them). Every
    ``init_from`` checkpoint a run still needs, and every run's :data:`CONFIG_RECORD`, is
    checked before the first one trains."""
    from ..engine.atomic_backend import atomic_write_bytes
    from ..evaluation.metrics.coco_metric import write_json_atomic
    for seed in seeds:
        init = init_checkpoint(init_from, seed)
        pending = any(not osp.isfile(result_file(root, c, seed, test_options))
                      for c in configs)
        if init is not None and pending and not osp.isfile(init):
            raise FileNotFoundError(
                f'--init-from checkpoint of seed {seed} not found: {init}; train the lower '
                'tier first (e.g. tier_ladder.py configs/t4_cross_modal.py) or fix the path')
        for config in configs:
            check_training_record(run_dir(root, config, seed), config,
                                  training_digests(config, seed, epochs, cfg_options, init))
    results: Dict[str, Dict[int, Dict[str, float]]] = {tier_name(c): {} for c in configs}
    for seed in seeds:  # seed by seed: an interrupted ladder has whole ladders of seeds
        for config in configs:
            results[tier_name(config)][seed] = run_one(config, seed, epochs, root, test_ann,
                                                       cfg_options, init_from, test_options)
    order = [tier_name(c) for c in configs]
    keys = reported_keys(order)
    summary = summarise(results, keys)
    comparisons = compare_to_tier_below(summary, order)
    out = dict(epochs=epochs, seeds=list(seeds), test_ann=test_ann, init_from=init_from,
               test_options=test_options or {}, results=results, summary=summary,
               comparisons=comparisons)
    suffix = file_suffix(test_options)
    write_json_atomic(osp.join(root, f'ladder{suffix}.json'), out, indent=1)
    table = format_ladder(summary, comparisons, seeds, keys)
    atomic_write_bytes((table + '\n').encode('utf-8'), osp.join(root, f'ladder{suffix}.md'))
    out['table'] = table
    return out

"""What a config needs before a model or a Runner is built from it (``MaxSightRunner``
applies all of it; the analysis tools the data-level steps):

* generate the embedded dataset when a dataloader points at it and it is missing;
* fill ``num_classes`` from the annotation file (or check a given one against it);
* fill the COCO evaluators' ``ann_file`` from their dataloader's dataset;
* use gloo instead of nccl for distributed runs without a GPU;
* resolve the loaders' ``num_workers='auto'`` / ``pin_memory='auto'`` for the device
  (``resolve_loader_settings``);
* a vision condition's transform in the pipelines (``apply_condition``);
* type and range checks of the values users edit most (``check_config_values``).
"""
import copy
import itertools
import logging
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from ..datasets.coco_parsing import load_json, parse_categories, read_json
from ..value_checks import is_int, is_number, is_positive_int
from .errors import ToolError

SPLITS = ('train', 'val', 'test')


def preload_batches(loader_cfg: dict, n: int, **overrides) -> list:
    """The first ``n`` batches of dataloader config ``loader_cfg`` (a copy, with
    ``overrides`` such as ``batch_size`` applied), loaded in this process: no worker
    processes, sampler seed 0. What the analysis tools time or calibrate on."""
    from mmengine.runner import Runner
    cfg = copy.deepcopy(loader_cfg)
    cfg.update(num_workers=0, persistent_workers=False, **overrides)
    return list(itertools.islice(Runner.build_dataloader(cfg, seed=0), n))


def dataset_ann_file(dataset_cfg: dict) -> str:
    """Path of a dataset config's annotation file (``data_root`` joined like mmengine)."""
    ann_file = dataset_cfg.get('ann_file', '')
    root = dataset_cfg.get('data_root') or ''
    return ann_file if osp.isabs(ann_file) else osp.join(root, ann_file)


def _dataloader_datasets(cfg: Config, splits: Sequence[str] = SPLITS
                         ) -> Iterator[Tuple[str, dict]]:
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if loader and loader.get('dataset'):
            yield split, loader['dataset']


def _stale_split_reason(data: dict, spec: dict, count: int, length: int) -> Optional[str]:
    """Why a generated split no longer matches ``embedded_dataset`` (an older generator,
    another seed, clip length, image size or number of images / clips), or None. The
    generator draws each item from its own stream, so a regenerated split keeps the items
    both sizes share."""
    from ..datasets.synthetic.generator import GENERATOR_VERSION, SIGNAL_SET_VERSION
    info = data.get('info') or {}
    images = data.get('images') or []
    if info.get('version') != GENERATOR_VERSION:
        return (f'was written by generator version {info.get("version")}, this is '
                f'{GENERATOR_VERSION}')
    signal = info.get('traffic_signal')
    if spec.get('traffic_signal', False) and signal != SIGNAL_SET_VERSION:
        return ('lacks the pedestrian signal that embedded_dataset asks for (traffic_signal)'
                if not signal else f'was written by signal-set version {signal}, this is '
                f'{SIGNAL_SET_VERSION}')
    if signal and not spec.get('traffic_signal', False):
        return ('has the pedestrian signal that embedded_dataset does not ask for '
                '(traffic_signal)')
    if info.get('seed') != spec['seed'] or info.get('clip_length', 1) != length:
        return (f'has seed {info.get("seed")} and clip length {info.get("clip_length", 1)}, '
                f'embedded_dataset asks for seed {spec["seed"]} and clip length {length}')
    if images and (images[0].get('width'), images[0].get('height')) != (spec['width'],
                                                                          spec['height']):
        return (f'has {images[0].get("width")}x{images[0].get("height")} images, '
                f'embedded_dataset asks for {spec["width"]}x{spec["height"]}')
    items = len({i.get('clip_id') for i in images}) if length > 1 else len(images)
    if items != count:
        kind = 'clips' if length > 1 else 'images'
        return f'holds {items} {kind}, embedded_dataset asks for {count}'
    return None


def ensure_embedded_dataset(cfg: Config, splits: Sequence[str] = SPLITS) -> None:
    """Generate the splits of the embedded synthetic dataset that a dataloader of ``splits``
    uses and that are missing (``annotations/<split>.json`` under ``embedded_dataset.root``;
    splits ``train``, ``val``, ``train_clips``, ``val_clips`` and the held-out ``test``,
    ``test_clips``, each from its own random stream)."""
    spec = cfg.get('embedded_dataset')
    if not spec:
        return
    root = osp.normpath(spec['root'])
    counts = dict(train=spec['num_train'], val=spec['num_val'],
                  train_clips=spec.get('num_train_clips', 0),
                  val_clips=spec.get('num_val_clips', 0), test=spec.get('num_test', 0),
                  test_clips=spec.get('num_test_clips', 0))
    for _, ds in _dataloader_datasets(cfg, splits):
        ann_file = dataset_ann_file(ds)
        if osp.normpath(ds.get('data_root') or '') != root:
            continue
        split = osp.splitext(osp.basename(ann_file))[0]
        length = spec.get('clip_length', 4) if split.endswith('_clips') else 1
        if not counts.get(split):  # not a split the embedded dataset makes: used as it is
            if osp.isfile(ann_file):
                continue
            raise FileNotFoundError(f'{ann_file} is missing and is not a split of the '
                                    f'embedded dataset ({", ".join(counts)})')
        if osp.isfile(ann_file):
            reason = _stale_split_reason(read_json(ann_file), spec, counts[split], length)
            if reason is None:
                continue
            print_log(f'{ann_file} {reason}: generating it again', logger='current',
                      level=logging.WARNING)
        from ..datasets.synthetic import generate_split
        print_log(f'embedded dataset split {split!r}: generating {counts[split]} '
                  f'{"clips" if length > 1 else "images"} under {root} (seed {spec["seed"]})'
                  ' ...', logger='current')
        generate_split(root, split, counts[split], spec['seed'], spec['width'], spec['height'],
                       length, traffic_signal=spec.get('traffic_signal', False))
        print_log(f'wrote {ann_file}', logger='current')


def resolve_num_classes(cfg: Config, split: str = 'train') -> int:
    """Set ``model.bbox_head.num_classes`` from the categories of ``split``'s annotation
    file. A config that names a different number raises, naming both numbers and the file.
    """
    ann_file = dataset_ann_file(cfg[f'{split}_dataloader']['dataset'])
    classes = parse_categories(load_json(ann_file), ann_file)[0]
    head = cfg.model.get('bbox_head', {})
    given = head.get('num_classes')
    if given is None:
        head['num_classes'] = len(classes)
    elif given != len(classes):
        raise ValueError(
            f'model.bbox_head.num_classes={given} but {ann_file} declares {len(classes)} '
            'categories; remove num_classes from the config (it is read from the file) or '
            'point the dataloader at the right file')
    return len(classes)


def fill_evaluator_ann_files(cfg: Config) -> None:
    """Evaluators with ``ann_file=None`` evaluate against their dataloader's file."""
    for split in ('val', 'test'):
        evaluator, loader = cfg.get(f'{split}_evaluator'), cfg.get(f'{split}_dataloader')
        if not evaluator or not loader:
            continue
        metrics = evaluator if isinstance(evaluator, list) else [evaluator]
        for metric in metrics:
            if 'ann_file' in metric and metric['ann_file'] is None:
                metric['ann_file'] = dataset_ann_file(loader['dataset'])


def enable_tensorboard(cfg: Config) -> None:
    """Add mmengine's TensorboardVisBackend when ``use_tensorboard`` is set; a clear error
    if it is asked for (that way or in ``visualizer.vis_backends``) and the optional package
    is missing."""
    vis = cfg.get('visualizer') or {}
    listed = any(b.get('type') == 'TensorboardVisBackend'
                 for b in vis.get('vis_backends') or [])
    if not (cfg.get('use_tensorboard') or listed):
        return
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ImportError('TensorBoard logging needs the optional tensorboard package: '
                          'pip install tensorboard (or pip install -r '
                          'requirements/optional.txt), or leave TensorboardVisBackend out '
                          'of visualizer.vis_backends / set use_tensorboard=False') from None
    vis = cfg.setdefault('visualizer', dict(type='MaxSightVisualizer', vis_backends=[]))
    backends = vis.setdefault('vis_backends', [])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))


def prepare_config(cfg: Config, splits: Sequence[str] = ('train', 'val')) -> Config:
    """Apply every data-level step above in place for the dataloaders of ``splits``
    (training: train and val; testing: test); ``pipeline_additions`` go into every
    dataloader's pipeline. Returns ``cfg``."""
    apply_pipeline_additions(cfg)
    ensure_embedded_dataset(cfg, splits)
    for name, ds in _dataloader_datasets(cfg, splits):
        ann_file = dataset_ann_file(ds)
        if not osp.isfile(ann_file):
            raise FileNotFoundError(
                f'{name}_dataloader: annotation file not found: {ann_file} (data_root='
                f'{ds.get("data_root")!r}, ann_file={ds.get("ann_file")!r}); fix it with '
                f'--cfg-options {name}_dataloader.dataset.data_root=DIR')
    resolve_num_classes(cfg, splits[0])
    fill_evaluator_ann_files(cfg)
    enable_tensorboard(cfg)
    resolve_loader_settings(cfg)
    if not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    return cfg


def insert_after(pipeline: list, after: str, transform: dict) -> list:
    """A copy of ``pipeline`` with ``transform`` right after the first transform of type
    ``after``."""
    types = [t.get('type') for t in pipeline]
    if after not in types:
        raise ValueError(f'pipeline has no {after} to insert {transform} after: {types}')
    at = types.index(after) + 1
    return list(pipeline[:at]) + [transform] + list(pipeline[at:])


def insert_after_loading(pipeline: list, transform: dict) -> list:
    """A copy of ``pipeline`` with ``transform`` right after ``LoadImageFromFile`` (before
    any resize, so the operation sees the original pixels)."""
    return insert_after(pipeline, 'LoadImageFromFile', transform)


def apply_pipeline_additions(cfg: Config) -> Config:
    """Insert the config's ``pipeline_additions`` (``[dict(after=TYPE, transform=CFG)]``,
    e.g. T4's ``LoadAudioFeatures`` after ``LoadAnnotations``) into the pipeline of every
    dataloader (or of those named in the entry's ``splits``, e.g. ``('train',)``), once
    each; returns ``cfg``. A config adds a transform this way instead of copying the base
    pipelines."""
    for i, addition in enumerate(cfg.get('pipeline_additions') or []):
        if not {'after', 'transform'} <= set(addition) <= {'after', 'transform', 'splits'}:
            raise ValueError(f'pipeline_additions[{i}] must be dict(after=TYPE, '
                             f'transform=dict(type=...)[, splits=(...)]), got '
                             f'{dict(addition)}')
        splits = tuple(addition.get('splits') or SPLITS)
        unknown = [s for s in splits if s not in SPLITS]
        if unknown:
            raise ValueError(f'pipeline_additions[{i}]: unknown splits {unknown}; use '
                             f'{", ".join(SPLITS)}')
        for split, ds in _dataloader_datasets(cfg, splits):
            if addition['transform'] not in ds['pipeline']:
                try:
                    ds['pipeline'] = insert_after(ds['pipeline'], addition['after'],
                                                  addition['transform'])
                except ValueError as e:
                    raise ValueError(f'pipeline_additions[{i}], {split}_dataloader: {e}') \
                        from None
    return cfg


def apply_condition(cfg: Config, condition: str, splits: Sequence[str] = SPLITS) -> Config:
    """Specialise ``cfg`` to a vision condition (DESIGN section 5): the condition's
    transform in every pipeline of ``splits`` (which also hands the condition to the
    model's FiLM and to the loss' spatial priority). The work dir suffix ``_<condition>``
    is :func:`default_work_dir`'s."""
    from ..datasets.transforms.vision_conditions import condition_transform_cfg
    transform = condition_transform_cfg(condition)  # raises on an unknown name
    if not cfg.model.get('condition_film'):
        print_log(f'--condition {condition}: the model has no condition_film, so only the '
                  'preprocessing and loss weighting change', logger='current', level=30)
    for _, ds in _dataloader_datasets(cfg, splits):
        if transform not in ds['pipeline']:  # test_dataloader may be val's very dict
            ds['pipeline'] = insert_after_loading(ds['pipeline'], transform)
    return cfg


def load_config(path: str, cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read a config for a tool: a clear error if the file is missing, ``--cfg-options``
    merged, and ``work_dir`` set when given (else the config's; the runner defaults it to
    :func:`default_work_dir`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        raise ValueError(f'{path}: Python syntax error in the config or a file it '
                         f'inherits: {e.msg} (line {e.lineno})') from None
    cfg.merge_from_dict(cfg_options or {})
    if work_dir:
        cfg.work_dir = work_dir
    return cfg


def default_work_dir(cfg: Config) -> str:
    """The config's ``work_dir``, else ``work_dirs/<config file name>``, with the suffix
    ``_<vision_condition>`` when the config names a condition (DESIGN section 5)."""
    if cfg.get('work_dir'):
        return cfg.work_dir
    name = osp.splitext(osp.basename(cfg.filename))[0] if cfg.filename else 'run'
    condition = cfg.get('vision_condition')
    return osp.join('work_dirs', name + (f'_{condition}' if condition else ''))


#: ``num_workers='auto'`` without a GPU: a training worker competes with the compute
#: threads on a small CPU, one evaluation worker overlaps decoding with inference
#: (docs/benchmarks.md#profile-of-a-training-step-and-the-overheads-removed)
CPU_AUTO_WORKERS = dict(train=0, val=1, test=1)
#: at most this many workers per process on a GPU machine
GPU_MAX_WORKERS = 8


def auto_num_workers(split: str, cuda: bool, cpus: int, procs_per_node: int) -> int:
    """What ``num_workers='auto'`` means: on a GPU, the node's cores shared among its
    processes (at most ``GPU_MAX_WORKERS``, at least 1); on the CPU ``CPU_AUTO_WORKERS``."""
    if cuda:
        return max(1, min(GPU_MAX_WORKERS, cpus // max(1, procs_per_node)))
    return CPU_AUTO_WORKERS[split]


def resolve_loader_settings(cfg: Config, cuda: Optional[bool] = None) -> None:
    """``num_workers='auto'`` and ``pin_memory='auto'`` of every dataloader, in place, for
    the device this process trains on (``cuda``: whether a GPU is used; default: one is
    visible). Persistent workers need workers: switched off where there are none."""
    cuda = torch.cuda.is_available() if cuda is None else cuda
    procs = int(os.environ.get('LOCAL_WORLD_SIZE', 1))
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        if loader.get('num_workers') == 'auto':
            loader['num_workers'] = auto_num_workers(split, cuda, os.cpu_count() or 1, procs)
        if loader.get('pin_memory') == 'auto':
            loader['pin_memory'] = cuda
        if loader.get('num_workers') == 0 and loader.get('persistent_workers'):
            loader['persistent_workers'] = False


def check_config_values(cfg: Config) -> None:
    """Type and range checks of the values users edit most, naming the key (mmengine would
    fail later, deep inside torch, with a message that names neither)."""
    problems: List[str] = []

    def check(key: str, value, ok: bool, expected: str) -> None:
        if not ok:
            problems.append(f'{key} must be {expected}, got {value!r} '
                            f'({type(value).__name__})')

    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        bs = loader.get('batch_size')
        check(f'{split}_dataloader.batch_size', bs, is_positive_int(bs), 'a positive int')
        nw = loader.get('num_workers', 0)
        check(f'{split}_dataloader.num_workers', nw,
              nw == 'auto' or is_int(nw) and nw >= 0,
              "an int >= 0 or 'auto'")
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_epochs', 'max_iters', 'val_interval'):
        if key in train_cfg:
            check(f'train_cfg.{key}', train_cfg[key], is_positive_int(train_cfg[key]),
                  'a positive int')
    optimizer: Dict = (cfg.get('optim_wrapper') or {}).get('optimizer') or {}
    if 'lr' in optimizer:
        lr = optimizer['lr']
        check('optim_wrapper.optimizer.lr', lr,
              is_number(lr) and lr > 0,
              'a positive number')
    if problems:
        raise ToolError('config: ' + '; '.join(problems))

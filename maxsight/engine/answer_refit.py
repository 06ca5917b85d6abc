"""Fit T3's answer MLP again on the answers a trained model gives, T4's ``beside``
output on its finished features, and T5's motion refiner on its finished predictions
(docs/tiers.md).

:class:`~maxsight.models.heads.CrossTaskDenseHead` adds to its urgency logits an MLP over
the class, box and distance answers of the same location. Trained alongside them, the MLP
chases answers that keep changing and ends underfitted to the final ones. The refit runs
the finished model over the training split once (no augmentation, fixed order), keeps
each matched prediction's answers, feature-path urgency logits and annotated urgency, and
fits the MLP on them by full-batch Adam: deterministic, and the same whether
:class:`~maxsight.engine.hooks.AnswerRefitHook` runs it at the end of training or
``tools/refit_answers.py`` runs it on a saved checkpoint. The same pass keeps, for a head
with a ``beside`` output (T4), each image's features of that output and its
``beside_hazards`` labels, and fits the output on them
(:meth:`~maxsight.models.heads.beside_output.BesideOutput.fit`): it reads the detector's
features detached, so it is fitted on what the finished detector gives. A clip model (T5)
has its motion refiner's MLP fitted instead, for the same reason (it reads the clip's
predictions detached, and they keep changing while it trains): on the training clips,
each matched prediction's refiner inputs, the urgency and distance it refines and the
annotated ones (:meth:`~maxsight.models.layers.ClipMotionRefiner.fit`).
"""
import copy
import time
from typing import Callable, Dict, Iterable, List, Sequence, Tuple

import torch
from torch import Tensor
from mmengine.config import Config
from mmengine.dist import all_gather_object

from ..utils.cli import unwrap_model


def refit_loader_cfg(cfg: Config) -> dict:
    """The training split's dataloader config with the test pipeline (no augmentation)
    and a fixed order, for the refit pass."""
    train, test = cfg.get('train_dataloader'), cfg.get('test_dataloader') or cfg.get(
        'val_dataloader')
    if not train or not test:
        raise ValueError('the answer refit reads the training split with the test pipeline: '
                         'the config needs train_dataloader and test_dataloader (or '
                         'val_dataloader)')
    loader = copy.deepcopy(train)
    loader['dataset']['pipeline'] = copy.deepcopy(test['dataset']['pipeline'])
    loader['sampler'] = dict(type='DefaultSampler', shuffle=False)
    loader.pop('batch_sampler', None)
    return loader


def _collect(detector: torch.nn.Module, loader: Iterable,
             fit_data: Callable[[dict], Sequence[Tensor]], fitted: torch.nn.Module,
             empty_message: str) -> List[Tensor]:
    """``fit_data`` of every preprocessed batch of ``loader`` (no gradient; ``detector`` in
    eval mode, batch-norm statistics as at test time, then back in its mode), gathered from
    every process (so every process fits the same weights) and concatenated column by
    column on the device of ``fitted``; ValueError ``empty_message`` when no batch came."""
    parts = []
    was_training = detector.training
    detector.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                data = detector.data_preprocessor(batch, False)
                parts.append([t.cpu() for t in fit_data(data)])
    finally:
        detector.train(was_training)
    gathered = [p for rank_parts in all_gather_object(parts) for p in rank_parts]
    if not gathered:
        raise ValueError(empty_message)
    device = next(fitted.parameters()).device
    return [torch.cat([p[i] for p in gathered]).to(device) for i in range(len(gathered[0]))]


def check_refittable(model: torch.nn.Module) -> None:
    """ValueError unless ``model`` (or its wrapper) has what the refit fits: a motion
    refiner in a clip model (T5), else a head with an answer MLP (T3, T4). The hook checks
    it before training, so that a run does not end in the error."""
    from ..models.detectors import TemporalDetector
    detector = unwrap_model(model)
    if isinstance(detector, TemporalDetector):
        if detector.motion is None:
            raise ValueError('the refit of a clip model fits its motion refiner; this model '
                             'has none (model.motion; in a config: drop AnswerRefitHook from '
                             'custom_hooks)')
        return
    head = detector.bbox_head
    if not hasattr(head, 'refit_answer_mlp'):
        raise ValueError(f'the answer refit needs a head with an answer MLP '
                         f'(CrossTaskDenseHead: T3, T4); this model has '
                         f'{type(head).__name__} (in a config: drop AnswerRefitHook from '
                         f'custom_hooks)')


def refit_answers(model: torch.nn.Module, loader: Iterable, steps: int = 2000,
                  lr: float = 1e-3) -> Dict[str, float]:
    """One pass of ``model`` (a detector with a ``CrossTaskDenseHead``, or its wrapper) over
    ``loader`` collecting the head's :meth:`answer_fit_data`, then
    :meth:`refit_answer_mlp` on all of it (gathered from every process, so every process
    fits the same MLP). With a ``beside`` output, that output is fitted on the same pass
    (:meth:`~maxsight.models.heads.MultiTaskDenseHead.beside_fit_data`). Returns the fit's
    figures plus ``positives`` (P) and ``seconds``, and the beside fit's under
    ``beside_``-prefixed keys. A clip model gets :func:`refit_motion` instead."""
    from ..models.detectors import TemporalDetector
    detector = unwrap_model(model)
    if isinstance(detector, TemporalDetector):
        return refit_motion(detector, loader, steps, lr)
    check_refittable(detector)
    head = detector.bbox_head
    beside = getattr(head, 'beside_out', None)

    def fit_data(data: dict) -> Tuple[Tensor, ...]:
        feats = detector.extract_feat(data['inputs'], data['data_samples'])
        part = head.answer_fit_data(feats, data['data_samples'])
        if beside is not None:
            part = part + head.beside_fit_data(feats, data['data_samples'])
        return part

    start = time.perf_counter()
    columns = _collect(detector, loader, fit_data, head.answer_mlp,
                       'the answer refit read no images: the training split is empty')
    answers, logits, urgency = columns[:3]
    out = head.refit_answer_mlp(answers, logits, urgency, steps=steps, lr=lr)
    if beside is not None and len(columns[4]):
        out.update({f'beside_{k}': v
                    for k, v in beside.fit(*columns[3:], steps=steps, lr=lr).items()})
    elif beside is not None:  # the user's data has no beside_hazards: left unfitted
        out['beside_images'] = 0
    return dict(out, positives=len(urgency), seconds=time.perf_counter() - start)


def refit_motion(detector: torch.nn.Module, loader: Iterable, steps: int = 2000,
                 lr: float = 1e-3) -> Dict[str, float]:
    """The clip model's refit (see the module docstring): one pass of ``detector`` (a
    :class:`~maxsight.models.detectors.TemporalDetector` with a motion refiner) over the
    clips of ``loader`` collecting :meth:`motion_fit_data`, gathered from every process, then
    :meth:`ClipMotionRefiner.fit` with the head's urgency and distance losses. Returns the
    fit's figures with ``motion`` True, ``positives`` (P) and ``seconds``."""
    check_refittable(detector)
    start = time.perf_counter()
    columns = _collect(
        detector, loader,
        lambda data: detector.motion_fit_data(data['inputs'], data['data_samples'],
                                              data['padding_mask']),
        detector.motion, 'the motion refit read no clips: the training split is empty')
    head = detector.bbox_head
    out = detector.motion.fit(*columns, head.loss_urgency, head.loss_distance,
                              steps=steps, lr=lr)
    return dict(out, motion=True, positives=len(columns[3]),
                seconds=time.perf_counter() - start)


def format_refit(out: Dict[str, float]) -> str:
    """One log line of :func:`refit_answers`' figures."""
    if out.get('motion'):
        return (f'motion refiner refitted on {out["positives"]} matched predictions of the '
                f'training clips: urgency accuracy on them {out["acc_before"]:.4f} -> '
                f'{out["acc_after"]:.4f}, distance error {out["mae_before"]:.3f} -> '
                f'{out["mae_after"]:.3f} m ({out["seconds"]:.1f} s)')
    line = (f'answer MLP refitted on {out["positives"]} matched predictions of the training '
            f'split: urgency accuracy on them {out["acc_before"]:.4f} -> '
            f'{out["acc_after"]:.4f} ({out["seconds"]:.1f} s)')
    if out.get('beside_images') == 0:
        line += ('; beside output not fitted: no training image has beside_hazards (it '
                 'alerts on no side)')
    elif 'beside_images' in out:
        line += (f'; beside output fitted on its {out["beside_images"]} images: recall '
                 f'{out["beside_recall_before"]:.4f} -> {out["beside_recall_after"]:.4f} at '
                 f'{out["beside_false_alerts_before"]:.4f} -> '
                 f'{out["beside_false_alerts_after"]:.4f} false alerts per image')
    return line


def refit_checkpoint(cfg: Config, checkpoint: str, out: str, steps: int = 2000,
                     lr: float = 1e-3) -> Dict[str, float]:
    """:func:`refit_answers` on the weights of ``checkpoint`` (trained with ``cfg``), saved
    with everything else of it to the new file ``out``; what ``tools/refit_answers.py``
    runs. The checkpoint's operating point is dropped (it was chosen for the MLP before)
    and ``meta['answer_refit']`` records the fit. Returns :func:`refit_answers`' figures."""
    import os.path as osp

    from mmengine.runner import Runner

    from ..checkpoint_io import check_checkpoint_file, safe_load_checkpoint
    from ..models.heads.full_batch_fit import check_refit_settings
    from ..registry import MODELS
    from ..utils.config_preparation import prepare_config
    from .atomic_backend import save_checkpoint_atomic
    from .transfer import load_same_architecture
    check_refit_settings(steps, lr, 'the answer refit')
    check_checkpoint_file(checkpoint)
    if osp.exists(out):
        raise FileExistsError(f'{out} exists: give --out a new file (the refit never '
                              'overwrites a checkpoint)')
    prepare_config(cfg, splits=('train',))
    model = MODELS.build(cfg.model)
    ckpt = safe_load_checkpoint(checkpoint, map_location='cpu')
    load_same_architecture(ckpt, model, cfg.filename or 'the config', source=checkpoint)
    loader = Runner.build_dataloader(refit_loader_cfg(cfg),
                                     seed=(cfg.get('randomness') or {}).get('seed', 0))
    result = refit_answers(model, loader, steps, lr)
    ckpt['state_dict'] = model.state_dict()
    meta = ckpt.setdefault('meta', {})
    meta.pop('operating_point', None)
    meta['answer_refit'] = dict(result, steps=steps, lr=lr, source=checkpoint)
    save_checkpoint_atomic(ckpt, out)
    return result

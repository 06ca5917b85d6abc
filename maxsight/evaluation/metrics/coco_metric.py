"""COCO box mAP computed by pycocotools' COCOeval (keys of DESIGN section 7)."""
import contextlib
import io
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from ...datasets.coco_parsing import load_json
from ...registry import METRICS

COCO_KEYS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m',
             'bbox_mAP_l')


BACKENDS = ('pycocotools', 'faster_coco_eval', 'auto')


def resolve_backend(backend: str) -> str:
    """``auto``: faster_coco_eval when it is installed (same numbers), else pycocotools."""
    if backend != 'auto':
        return backend
    try:
        import faster_coco_eval  # noqa: F401
        return 'faster_coco_eval'
    except ImportError:
        return 'pycocotools'


def _backend_classes(backend: str):
    """(COCO, COCOeval) classes of an evaluation backend."""
    backend = resolve_backend(backend)
    if backend == 'pycocotools':
        return COCO, COCOeval
    if backend == 'faster_coco_eval':
        try:
            from faster_coco_eval import COCO as FasterCOCO
            from faster_coco_eval import COCOeval_faster
        except ImportError:
            raise ImportError('CocoMetric(backend="faster_coco_eval") needs the optional '
                              'package faster-coco-eval: pip install -r '
                              'requirements/optional.txt') from None
        return FasterCOCO, COCOeval_faster
    raise ValueError(f'CocoMetric: backend must be one of {BACKENDS}, got {backend!r}')


def load_coco_gt(ann_file: str, backend: str = 'pycocotools'):
    """A ``COCO`` index of ``ann_file`` for ``backend``; adds the ``info`` key
    pycocotools needs in ``loadRes`` when the file has none."""
    data = load_json(ann_file)
    data.setdefault('info', {})
    data.setdefault('licenses', [])
    coco = _backend_classes(backend)[0]()
    coco.dataset = data
    coco.createIndex()
    return coco


def _path_parts(path: str) -> List[str]:
    return [p for p in osp.normpath(path).replace('\\', '/').split('/') if p not in ('', '.')]


def check_evaluated_images(coco_gt, results: Sequence[Dict[str, Any]], ann_file: str) -> None:
    """Refuse to score ``results`` against an ``ann_file`` that is not their images' file:
    every result's ``img_id`` must be an image of the file and, where the result carries
    the ``img_path`` it was loaded from, that path must end with the file's ``file_name``
    for the id. Otherwise pycocotools would match the detections with another split's
    objects of the same ids and report a wrong mAP without a word."""
    advice = ('set the evaluator\'s ann_file to None to score against the dataloader\'s own '
              'file (a config saved in a work dir carries the file it was filled with, e.g. '
              '--cfg-options test_evaluator.0.ann_file=None), or to the file of these images')
    for res in results:
        img_id = int(res['img_id'])
        record = coco_gt.imgs.get(img_id)
        if record is None:
            raise ValueError(f'{ann_file}: has no image id {img_id}, which was evaluated: '
                             f'{advice}')
        path, name = res.get('img_path'), record.get('file_name')
        if path and name:
            parts, tail = _path_parts(str(path)), _path_parts(str(name))
            if parts[len(parts) - len(tail):] != tail:
                raise ValueError(f'{ann_file}: image id {img_id} is {name!r} there but the '
                                 f'evaluated image {img_id} was loaded from {path!r}: '
                                 f'{advice}')


def to_coco_results(results: Sequence[Dict[str, Any]], cat_ids: Sequence[int]
                    ) -> List[Dict[str, Any]]:
    """Per-image predictions (xyxy boxes, contiguous labels) -> COCO results list with
    the annotation file's category ids, xywh boxes and the assistive fields (Python
    floats/ints; arrays are converted once per image, not per detection)."""
    out = []
    for res in results:
        boxes = np.asarray(res['bboxes'], dtype=np.float64).reshape(-1, 4)
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1).tolist()
        img_id = int(res['img_id'])
        cats = [int(cat_ids[label]) for label in np.asarray(res['labels']).tolist()]
        out.extend(
            dict(image_id=img_id, category_id=cat, bbox=box, score=score, distance_m=dist,
                 distance_zone=zone, urgency=urg)
            for cat, box, score, dist, zone, urg in zip(
                cats, xywh, np.asarray(res['scores'], np.float64).tolist(),
                np.asarray(res['distance_m'], np.float64).tolist(),
                np.asarray(res['distance_zone']).astype(int).tolist(),
                np.asarray(res['urgency']).astype(int).tolist()))
    return out


def coco_box_eval(coco_gt, coco_results: List[Dict[str, Any]],
                  img_ids: Optional[Sequence[int]] = None, backend: str = 'pycocotools',
                  quiet: bool = False) -> COCOeval:
    """Run COCOeval (bbox, maxDets 1/10/100) on ``img_ids`` (all images by default).

    ``quiet`` silences the summary table COCOeval prints."""
    coco_dt = coco_gt.loadRes(coco_results)  # annotates the dicts in place (area, id)
    eval_cls = _backend_classes(backend)[1]
    evaluator = eval_cls(coco_gt, coco_dt, 'bbox')
    if img_ids is not None:
        evaluator.params.imgIds = sorted(int(i) for i in img_ids)
    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator


def per_class_ap(evaluator: COCOeval, class_names: Sequence[str]) -> Dict[str, float]:
    """AP@[.5:.95] per class from an accumulated COCOeval (NaN for classes without GT)."""
    precision = evaluator.eval['precision']  # [T, R, K, A, M]
    aps = {}
    for k, name in enumerate(class_names):
        p = precision[:, :, k, 0, -1]
        p = p[p > -1]
        aps[name] = float(p.mean()) if p.size else float('nan')
    return aps


@METRICS.register_module()
class CocoMetric(BaseMetric):
    """COCO bbox mAP on pycocotools (``coco/bbox_mAP`` ... ``coco/bbox_mAP_l``).

    Args:
        ann_file: the COCO annotation file of the evaluated split. Tools fill it from the
            dataloader's dataset when the config leaves it None.
        pred_out: optional path; the COCO results JSON (``image_id``, ``category_id``,
            ``bbox`` xywh, ``score``, ``distance_m``, ``distance_zone``, ``urgency``) is
            written there, exactly the list that was evaluated.
        classwise: log a per-class AP table.
        backend: ``'pycocotools'`` (reference), ``'faster_coco_eval'`` (optional
            package, same numbers, 3-4x faster) or ``'auto'`` (the latter when installed).
        quiet: do not print COCOeval's summary table.

    Empty predictions give 0.0 for every key.
    """
    default_prefix: Optional[str] = 'coco'

    def __init__(self, ann_file: Optional[str] = None, pred_out: Optional[str] = None,
                 classwise: bool = True, backend: str = 'pycocotools', quiet: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        _backend_classes(backend)  # fail at build time, not after inference
        self.ann_file = ann_file
        self.pred_out = pred_out
        self.classwise = classwise
        self.backend = resolve_backend(backend)
        self.quiet = quiet
        self._coco_gt = None

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_instances']
            self.results.append(dict(
                img_id=int(sample['img_id']), img_path=sample.get('img_path'),
                **{k: pred[k].detach().cpu().numpy() for k in
                   ('bboxes', 'scores', 'labels', 'distance_m', 'distance_zone', 'urgency')}))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if self.ann_file is None:
            raise ValueError('CocoMetric: ann_file is not set (tools/train.py and '
                             'tools/test.py fill it from the dataloader; set it when '
                             'building the evaluator yourself)')
        logger = MMLogger.get_current_instance()
        if self._coco_gt is None:
            self._coco_gt = load_coco_gt(self.ann_file, self.backend)
        check_evaluated_images(self._coco_gt, results, self.ann_file)
        cat_ids = self.dataset_meta['cat_ids']
        coco_results = to_coco_results(results, cat_ids)
        if self.pred_out:
            write_json_atomic(self.pred_out, coco_results)
            logger.info(f'wrote {len(coco_results)} detections to {self.pred_out}')
        if not coco_results:
            logger.warning('CocoMetric: no detections; every coco/* metric is 0.0')
            return {k: 0.0 for k in COCO_KEYS}
        img_ids = sorted({r['img_id'] for r in results})
        evaluator = coco_box_eval(self._coco_gt, coco_results, img_ids, self.backend,
                                  self.quiet)
        metrics = {k: float(v) for k, v in zip(COCO_KEYS, evaluator.stats[:6])}
        self.last_eval = evaluator
        if self.classwise:
            aps = per_class_ap(evaluator, self.dataset_meta['classes'])
            table = '\n'.join(f'  {name:<20s} {ap:6.3f}' for name, ap in aps.items())
            logger.info(f'per-class AP@[.5:.95]:\n{table}')
        return metrics


def write_json_atomic(path: str, obj: Any, indent: Optional[int] = None) -> None:
    """Write JSON to ``path`` atomically (never a half-written file; see
    :func:`maxsight.engine.atomic_backend.atomic_write_bytes`)."""
    from ...engine.atomic_backend import atomic_write_bytes
    atomic_write_bytes(json.dumps(obj, default=_json_default, indent=indent).encode('utf-8'),
                       path)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f'not JSON serialisable: {type(o)}')

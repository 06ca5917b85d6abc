"""Export a trained model (float, and int8 when the config has ``quantization``) to
TorchScript and ONNX, with a parity, accuracy, size and latency report.

What ``tools/export.py CONFIG CKPT`` runs (:func:`export_model`).

* Without ``quantization`` in CONFIG: the float model.
* ``quantization.mode='ptq'``: CKPT is a float checkpoint; the trunk is calibrated on
  training images and converted to int8.
* ``quantization.mode='qat'``: CKPT comes from QAT training (e.g. configs/t2_qat.py); its
  trunk is converted to int8. ``quantization.float_checkpoint`` (if set) is the float
  model it is compared with.

Exported models take a normalised image batch [B, 3, H, W] (the data preprocessor's
output, H and W multiples of 32) and return the raw head outputs (cls, box, obj, zone,
log_dist, urgency, scene; see MultiTaskDenseHead); <out-dir>/postprocess.json holds the
head's post-processing settings (with the checkpoint's calibrated operating point) and
the display threshold to apply to them. Writes <out-dir>/report.json and
report.md: max |difference| of every exported file against its eager model, val
coco/bbox_mAP of the float and int8 eager models, file sizes and batch-1 latency.
"""
import copy
import os
import os.path as osp
import statistics
import time
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from ..engine.transfer import load_same_architecture
from ..evaluation.metrics.coco_metric import write_json_atomic
from ..quantization import convert_trunk
from ..quantization.tool_support import example_input, normalised_batches, prepare_for_tool
from ..utils.config_preparation import default_work_dir, prepare_config
from ..utils.cli import unwrap_model
from ..utils.errors import ToolError

OUTPUTS = ('cls', 'box', 'obj', 'zone', 'log_dist', 'urgency', 'scene')


class DeployModel(nn.Module):
    """Normalised images [B, 3, H, W] -> the head's raw outputs as a tuple (OUTPUTS)."""

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector

    def forward(self, x: torch.Tensor):
        preds = self.detector(x, None, mode='tensor')
        return tuple(preds[k] for k in OUTPUTS)


def _outputs(model: nn.Module, x: torch.Tensor) -> List[torch.Tensor]:
    with torch.no_grad():
        return [o.float() for o in model(x)]


def _max_diff(a: List[torch.Tensor], b: List[torch.Tensor]) -> float:
    return max(float((p - q).abs().max()) for p, q in zip(a, b))


def _latency_ms(fn, x, runs: int) -> float:
    with torch.no_grad():
        for _ in range(3):
            fn(x)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _export_torchscript(deploy: nn.Module, x: torch.Tensor, path: str):
    with torch.no_grad():
        traced = torch.jit.trace(deploy, (x,), check_trace=False, strict=False)
    traced.save(path)
    loaded = torch.jit.load(path)
    return lambda inp: loaded(inp)


def _export_onnx(deploy: nn.Module, x: torch.Tensor, path: str):
    import onnxruntime as ort
    torch.onnx.export(deploy, (x,), path, input_names=['images'], output_names=list(OUTPUTS),
                      dynamo=False, opset_version=17)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return lambda inp: [torch.from_numpy(o) for o in
                        session.run(None, {'images': inp.numpy()})]


def _onnx_int8_from_float(float_path: str, calib: List[torch.Tensor], path: str):
    """int8 ONNX by onnxruntime static quantisation (QDQ, per-channel weights) of the float
    ONNX, calibrated on the same training images as PTQ (torch's int8 FX graph does not
    export to ONNX)."""
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{'images': x.numpy()} for x in calib])

        def get_next(self):
            return next(self.items, None)
    quantize_static(float_path, path, Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return lambda inp: [torch.from_numpy(o) for o in
                        session.run(None, {'images': inp.numpy()})]


def _calibration_inputs(model: nn.Module, cfg, shape, limit: int) -> List[torch.Tensor]:
    """Training images, one per input, cropped / zero-padded to the exported shape."""
    return [fit_to_shape(img, shape) for batch in normalised_batches(model, cfg, 'train', limit)
            for img in batch]


def fit_to_shape(img: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """``img`` [C, H, W] in a [1, C, h, w] input of ``shape``: cropped at the bottom and
    right where larger, zero-padded there where smaller."""
    canvas = torch.zeros(tuple(shape[1:]), dtype=img.dtype)
    h, w = min(img.shape[1], shape[2]), min(img.shape[2], shape[3])
    canvas[:, :h, :w] = img[:, :h, :w]
    return canvas[None]


def _evaluate(runner: Runner, model: nn.Module) -> Dict[str, float]:
    runner.model = model
    return {k: float(v) for k, v in runner.test().items()}


def format_report(report: Dict[str, dict]) -> str:
    """The report as a markdown table."""
    lines = ['| model | val mAP | eager ms | TorchScript ms / MB / max diff | '
             'ONNX ms / MB / max diff |', '|---|---|---|---|---|']
    for name in ('float', 'int8'):
        if name not in report:
            continue
        r = report[name]
        cells = []
        for fmt in ('torchscript', 'onnx'):
            if f'{fmt}_error' in r:
                cells.append(f'not exported ({r[f"{fmt}_error"]})')
            elif f'latency_ms_{fmt}' in r:
                cells.append(f'{r[f"latency_ms_{fmt}"]:.1f} / {r[f"{fmt}_size_mb"]:.2f} / '
                             f'{r[f"{fmt}_max_abs_diff"]:.2e}')
            else:
                cells.append('-')
        m = f'{r["coco/bbox_mAP"]:.4f}' if 'coco/bbox_mAP' in r else '-'
        lines.append(f'| {name} | {m} | {r["latency_ms_eager"]:.1f} | {cells[0]} | '
                     f'{cells[1]} |')
    if 'latency_ms_onnx_ort_int8' in report.get('int8', {}):
        r = report['int8']
        diff = r.get('onnx_ort_int8_max_abs_diff_vs_float')
        lines.append(f'| int8 ONNX (onnxruntime static quantisation of the float ONNX) | - | - '
                     f'| - | {r["latency_ms_onnx_ort_int8"]:.1f} / '
                     f'{r["onnx_ort_int8_size_mb"]:.2f} / '
                     f'{"-" if diff is None else f"{diff:.2e}"} vs float |')
    if 'int8_vs_float' in report:
        lines.append('')
        lines.append('int8 vs float: ' + ', '.join(f'{k} {v:.4g}' for k, v in
                                                    report['int8_vs_float'].items()))
    return '\n'.join(lines) + '\n'


def _write_postprocess(checkpoint: str, model: nn.Module, cfg: Config, out_dir: str) -> None:
    """``<out_dir>/postprocess.json``: what a deployment applies to the raw outputs, the
    head's test_cfg and the display threshold, with the checkpoint's calibrated operating
    point (unless ``use_operating_point=False``)."""
    from ..checkpoint_io import safe_load_checkpoint
    from ..evaluation.calibration import apply_operating_point
    op = (safe_load_checkpoint(checkpoint).get('meta') or {}).get('operating_point')
    used = bool(cfg.get('use_operating_point', True) and
                apply_operating_point(model, op))
    head = model.bbox_head
    write_json_atomic(osp.join(out_dir, 'postprocess.json'), dict(
        test_cfg=dict(head.test_cfg), outputs=list(OUTPUTS),
        display_score_thr=getattr(model, 'display_score_thr', None),
        operating_point=op if used else None), indent=1)


def export_model(cfg: Config, checkpoint: str, out_dir: Optional[str] = None,
                 formats: Sequence[str] = ('torchscript', 'onnx'), latency_runs: int = 20,
                 evaluate: bool = True) -> Dict[str, dict]:
    """Export ``cfg``'s model with ``checkpoint`` (module docstring) to ``out_dir``
    (default ``<work_dir>/export``); writes and returns the report."""
    config = cfg.filename or 'the config'
    if cfg.model.get('type') == 'TemporalDetector' or cfg.model.get('audio_fusion'):
        raise ToolError(f'{config}: export takes image-only models (T0-T3); T4 needs '
                        'audio and T5 clips as extra inputs')
    from ..checkpoint_io import check_checkpoint_file
    check_checkpoint_file(checkpoint)  # before any data is prepared
    cfg = copy.deepcopy(cfg)
    cfg.load_from, cfg.resume = None, False
    prepare_config(cfg, splits=('test',))
    out_dir = out_dir or osp.join(default_work_dir(cfg), 'export')
    os.makedirs(out_dir, exist_ok=True)
    cfg.work_dir = out_dir
    from ..engine.runner import drop_switched_off_hooks
    drop_switched_off_hooks(cfg)
    runner = Runner.from_cfg(cfg)  # a plain runner: its test loop evaluates each variant
    model = unwrap_model(runner.model).cpu().eval()
    x = example_input(model, cfg, 'test')[:1]
    qcfg = cfg.get('quantization')
    variants: Dict[str, nn.Module] = {}
    _write_postprocess(checkpoint, model, cfg, out_dir)
    if not qcfg:
        load_same_architecture(checkpoint, model, config)
        variants['float'] = model
    else:
        float_ckpt: Optional[str] = checkpoint if qcfg['mode'] == 'ptq' else \
            qcfg.get('float_checkpoint')
        if float_ckpt:
            float_model = copy.deepcopy(model)
            load_same_architecture(float_ckpt, float_model, config)
            variants['float'] = float_model.eval()
        if qcfg['mode'] == 'ptq':
            load_same_architecture(checkpoint, model, config)
        runner.logger.info(prepare_for_tool(model, cfg, 'test', train=False))
        if qcfg['mode'] == 'qat':
            load_same_architecture(checkpoint, model, config)
        variants['int8'] = convert_trunk(model)
    report: Dict[str, dict] = {}
    for name, variant in variants.items():
        deploy = DeployModel(variant).eval()
        eager = _outputs(deploy, x)
        row = dict(latency_ms_eager=_latency_ms(deploy, x, latency_runs))
        for fmt in formats:
            path = osp.join(out_dir, f'model_{name}.{"pt" if fmt == "torchscript" else "onnx"}')
            try:
                run = (_export_torchscript if fmt == 'torchscript' else _export_onnx)(
                    deploy, x, path)
                row[f'{fmt}_max_abs_diff'] = _max_diff(eager, [o.float() for o in run(x)])
                row[f'{fmt}_size_mb'] = osp.getsize(path) / 2**20
                row[f'latency_ms_{fmt}'] = _latency_ms(run, x, latency_runs)
            except Exception as e:  # noqa: BLE001 - an exporter's limits go into the report
                row[f'{fmt}_error'] = f'{type(e).__name__}: {str(e).splitlines()[0][:200]}'
                if osp.exists(path):
                    os.remove(path)
        float_onnx = osp.join(out_dir, 'model_float.onnx')
        if name == 'int8' and 'onnx' in formats and osp.exists(float_onnx):
            path = osp.join(out_dir, 'model_int8_ort.onnx')
            calib = _calibration_inputs(model, cfg, tuple(x.shape),
                                        int(qcfg.get('calib_batches', 8)))
            try:
                run = _onnx_int8_from_float(float_onnx, calib, path)
                row['onnx_ort_int8_max_abs_diff_vs_float'] = _max_diff(
                    _outputs(DeployModel(variants['float']).eval(), x),
                    [o.float() for o in run(x)]) if 'float' in variants else None
                row['onnx_ort_int8_size_mb'] = osp.getsize(path) / 2**20
                row['latency_ms_onnx_ort_int8'] = _latency_ms(run, x, latency_runs)
            except Exception as e:  # noqa: BLE001
                row['onnx_ort_int8_error'] = f'{type(e).__name__}: {str(e).splitlines()[0][:200]}'
        if evaluate:
            row['coco/bbox_mAP'] = _evaluate(runner, variant)['coco/bbox_mAP']
        report[name] = row
    if 'float' in report and 'int8' in report:
        fl, q8 = report['float'], report['int8']
        report['int8_vs_float'] = dict(
            max_abs_diff_eager=_max_diff(_outputs(DeployModel(variants['float']).eval(), x),
                                         _outputs(DeployModel(variants['int8']).eval(), x)),
            **({'mAP_change': q8['coco/bbox_mAP'] - fl['coco/bbox_mAP']}
               if 'coco/bbox_mAP' in q8 else {}),
            **({'latency_speedup_eager': fl['latency_ms_eager'] / q8['latency_ms_eager']}))
    write_json_atomic(osp.join(out_dir, 'report.json'), report, indent=2)
    with open(osp.join(out_dir, 'report.md'), 'w') as f:
        f.write(format_report(report))
    return report

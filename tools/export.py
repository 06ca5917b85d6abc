"""Export a trained model (float, and int8 when the config has ``quantization``) to
TorchScript and ONNX, with a parity, accuracy, size and latency report.

python tools/export.py CONFIG CKPT [--out-dir DIR] [--formats torchscript onnx]
    [--latency-runs 20] [--no-eval] [--cfg-options k=v ...]

The export itself is maxsight/deploy/export.py (what each variant is, what the report
holds); it writes <out-dir>/report.json and report.md.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight.tool_runner import run_tool  # noqa: E402  (light: --help without torch)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a trained model (float, and int8 with quantization) to TorchScript '
                    'and ONNX with a parity, accuracy, size and latency report.')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--out-dir', help='default work_dirs/<config name>/export')
    parser.add_argument('--formats',
                        help='formats to write', nargs='+', default=['torchscript', 'onnx'],
                        choices=['torchscript', 'onnx'])
    parser.add_argument('--latency-runs', help='runs timed per format', type=int, default=20)
    parser.add_argument('--no-eval', action='store_true', help='skip the mAP evaluation')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from maxsight import register_all_modules
    from maxsight.deploy import export_model, format_report
    from maxsight.utils import load_config
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    report = export_model(cfg, args.checkpoint, args.out_dir, args.formats,
                          args.latency_runs, evaluate=not args.no_eval)
    print(format_report(report))
    return report


if __name__ == '__main__':
    run_tool(main)

"""Transfer a lower tier's weights into a higher tier: every shape-compatible tensor.

python tools/transfer.py SRC_CKPT DST_CONFIG --out DST_CKPT

Prints, per module, how many tensors were transferred, newly initialised or
shape-mismatched. The output trains as ``load_from`` (or ``--cfg-options load_from=...``);
``load_from`` in a config does the same transfer (and logs the same report) at the start
of training.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.engine.transfer import format_report, transfer_to_new_checkpoint  # noqa: E402
from maxsight.utils import load_config  # noqa: E402
from maxsight.utils.cli import run_tool  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description="Transfer a lower tier's weights into a higher tier: every shape-compatible "
                    "tensor.")
    parser.add_argument('src_ckpt', help='checkpoint of the lower tier (.pth)')
    parser.add_argument('dst_config', help='config of the higher tier')
    parser.add_argument('--out', required=True, help='where to write the new checkpoint')
    parser.add_argument('--cfg-options',
                        help='override config entries', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.dst_config, args.cfg_options)
    report, copied, total = transfer_to_new_checkpoint(args.src_ckpt, cfg, args.out,
                                                       args.dst_config)
    print(format_report(report))
    print(f'{copied} of {total} values ({100 * copied / total:.1f} %) come from '
          f'{args.src_ckpt}')
    print(f'wrote {args.out}')
    return report


if __name__ == '__main__':
    run_tool(main)

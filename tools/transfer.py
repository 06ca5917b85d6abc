"""Transfer a lower tier's weights into a higher tier: every shape-compatible tensor.

python tools/transfer.py SRC_CKPT DST_CONFIG --out DST_CKPT

Prints, per module, how many tensors were transferred, newly initialised or
shape-mismatched. The output trains as ``load_from`` (or ``--cfg-options load_from=...``);
``load_from`` in a config does the same transfer (and prints the same report) at the start
of training.
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from maxsight import register_all_modules  # noqa: E402
from maxsight.engine.checkpoint import safe_load_checkpoint  # noqa: E402
from maxsight.engine.transfer import format_report, transfer_state  # noqa: E402
from maxsight.registry import MODELS  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src_ckpt')
    parser.add_argument('dst_config')
    parser.add_argument('--out', required=True, help='where to write the new checkpoint')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    if osp.exists(args.out):
        raise SystemExit(f'error: {args.out} exists; choose another --out (nothing written)')
    register_all_modules()
    cfg = Config.fromfile(args.dst_config)
    cfg.merge_from_dict(args.cfg_options)
    ckpt = safe_load_checkpoint(args.src_ckpt, map_location='cpu')
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    classes = meta.get('dataset_meta', {}).get('classes')
    if cfg.model.bbox_head.get('num_classes') is None:
        if classes is None:
            raise SystemExit('error: the source checkpoint has no dataset_meta.classes; set '
                             'model.bbox_head.num_classes with --cfg-options')
        cfg.model.bbox_head.num_classes = len(classes)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    report, copied = transfer_state(ckpt.get('state_dict', ckpt), model)
    total = sum(v.numel() for v in model.state_dict().values())
    print(format_report(report))
    print(f'{copied} of {total} values ({100 * copied / total:.1f} %) come from '
          f'{args.src_ckpt}')
    out_meta = dict(transferred_from=args.src_ckpt, dst_config=args.dst_config)
    if classes is not None:
        out_meta['dataset_meta'] = meta['dataset_meta']
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    torch.save(dict(state_dict=model.state_dict(), meta=out_meta), tmp)
    os.replace(tmp, args.out)
    print(f'wrote {args.out}')
    return report


if __name__ == '__main__':
    main()

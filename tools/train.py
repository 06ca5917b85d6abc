"""Train a MaxSight detector: python tools/train.py CONFIG [options] (DESIGN section 8)."""
import argparse
import os
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from maxsight import register_all_modules  # noqa: E402
from maxsight.datasets.transforms import VISION_CONDITIONS  # noqa: E402
from maxsight.engine.transfer import (check_same_architecture, format_report,  # noqa: E402
                                     transfer_checkpoint)
from maxsight.utils import (apply_condition, init_cpu_distributed, load_config,  # noqa: E402
                            prepare_config)
from maxsight.utils.cli import (ToolError, check_config_values,  # noqa: E402
                                clean_work_dir_on_failure, run_tool, unwrap_model)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a MaxSight detector')
    parser.add_argument('config', help='config file, e.g. configs/t2_default.py')
    parser.add_argument('--work-dir', help='output folder (default work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto', default=None, metavar='PATH',
                        help='resume from PATH, or alone: from the newest checkpoint in the '
                        'work dir')
    parser.add_argument('--amp', action='store_true', help='mixed precision (needs a GPU)')
    parser.add_argument('--smoke', action='store_true',
                        help='30 iterations on tiny synthetic data; fails unless the losses '
                        'are finite and decrease (run this before a long job)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        metavar='KEY=VALUE', help='override config entries, e.g. '
                        'train_dataloader.dataset.data_root=DIR')
    parser.add_argument('--condition', choices=VISION_CONDITIONS, metavar='NAME',
                        help='vision condition: its preprocessing, the model\'s condition '
                        'input and the work dir suffix _NAME (one of: '
                        + ', '.join(VISION_CONDITIONS) + ')')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                        help='job launcher (pytorch: started by torchrun)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.launcher = args.launcher
    if args.condition:
        apply_condition(cfg, args.condition, splits=('train', 'val'),
                        suffix_work_dir=not args.work_dir)
    if args.smoke:
        if args.resume:
            raise SystemExit('error: --smoke and --resume cannot be combined')
        from maxsight.engine.smoke import smoke_config
        cfg.work_dir = cfg.work_dir.rstrip('/') + '_smoke'
        smoke_config(cfg)
    if args.resume == 'auto':
        from maxsight.engine.resume import find_resume_checkpoint
        latest = find_resume_checkpoint(cfg.work_dir)
        if latest is None:
            print(f'--resume: no complete checkpoint in {cfg.work_dir}; training from the start')
        else:
            cfg.resume, cfg.load_from = True, latest
    elif args.resume:
        if not osp.isfile(args.resume):
            raise SystemExit(f'error: --resume checkpoint not found: {args.resume}')
        cfg.resume, cfg.load_from = True, args.resume
    if cfg.get('resume'):
        from maxsight.engine.atomic_backend import remove_partial_writes
        remove_partial_writes(cfg.work_dir)  # temporary files of saves that were killed
    if not cfg.get('resume') and not args.smoke:
        from maxsight.engine.resume import numbered_checkpoints
        earlier = numbered_checkpoints(cfg.work_dir)
        if earlier:
            names = ', '.join(osp.basename(p) for p in earlier[:3])
            raise ToolError(f'{cfg.work_dir} already holds checkpoints of an earlier run '
                            f'({names}); add --resume to continue it, or choose another '
                            '--work-dir (a new run would overwrite them)')
    check_config_values(cfg)
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('error: --amp needs a CUDA GPU (mmengine AmpOptimWrapper); none '
                             'is visible. Drop --amp to train in fp32 on the CPU.')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    return prepare_config(cfg, splits=('train', 'val'))


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules()
    cfg = build_config(args)
    init_cpu_distributed(args.launcher)
    with clean_work_dir_on_failure(cfg.work_dir):
        _train(args, cfg)


def _train(args: argparse.Namespace, cfg: Config) -> None:
    # load_from (not resume): transfer every shape-compatible weight, with a report
    transfer_from = cfg.get('load_from') if not cfg.get('resume') else None
    cfg.load_from = None if transfer_from else cfg.get('load_from')
    runner = Runner.from_cfg(cfg)
    model = unwrap_model(runner.model)
    if transfer_from:
        report = transfer_checkpoint(transfer_from, model)
        runner.logger.info(f'weights transferred from {transfer_from}:\n'
                           f'{format_report(report)}')
    if cfg.get('quantization'):  # QAT: after the float weights, before the optimiser
        from maxsight.quantization.tool_support import prepare_for_tool
        runner.logger.info(prepare_for_tool(model, cfg, 'train', train=True))
    if cfg.get('resume') and cfg.get('load_from'):
        check_same_architecture(cfg.load_from, model, args.config)
    start = time.perf_counter()
    runner.train()
    elapsed = time.perf_counter() - start
    hub = runner.message_hub
    if args.smoke:
        from maxsight.engine.smoke import check_smoke
        try:
            runner.logger.info(check_smoke(hub.get_scalar('train/loss').data[0]))
        except RuntimeError as e:
            raise SystemExit(str(e)) from None
        return
    final = hub.log_scalars.get('val/coco/bbox_mAP')
    lines = [f'training finished in {elapsed / 60:.1f} min ({elapsed:.0f} s)']
    if final is not None:
        lines.append(f'final val coco/bbox_mAP: {final.current():.4f}')
    if hub.get_info('best_score') is not None:
        lines.append(f'best val coco/bbox_mAP: {hub.get_info("best_score"):.4f} '
                     f'({hub.get_info("best_ckpt")})')
    runner.logger.info('\n'.join(lines))


if __name__ == '__main__':
    run_tool(main)

"""``TrainingPlotsHook``: after training, the plots of :mod:`maxsight.analysis.run_plots`
in ``<work_dir>/plots`` (curves from this run's scalars, AP per class and confusion
matrices from the last validation's metrics)."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ...registry import HOOKS


@HOOKS.register_module()
class TrainingPlotsHook(Hook):
    """Args: ``out_dir``: folder under the work dir (``plots``)."""
    priority = 'LOWEST'

    def __init__(self, out_dir: str = 'plots'):
        self.out_dir = out_dir

    def after_train(self, runner) -> None:
        if not is_main_process():
            return
        from ...analysis.run_plots import training_plots
        from ...evaluation.metrics.assistive_metric import AssistiveMetric
        from ...evaluation.metrics.coco_metric import CocoMetric, per_class_ap
        aps, report = None, None
        loop = runner._val_loop
        for metric in getattr(getattr(loop, 'evaluator', None), 'metrics', []):
            if isinstance(metric, CocoMetric) and getattr(metric, 'last_eval', None) is not None:
                aps = per_class_ap(metric.last_eval, metric.dataset_meta['classes'])
            if isinstance(metric, AssistiveMetric) and metric.last_report:
                report = metric.last_report
        scalars = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
        out = osp.join(runner.work_dir, self.out_dir)
        written = training_plots(scalars, out, aps, report)
        if written:
            runner.logger.info(f'plots: {", ".join(osp.basename(p) for p in written)} in {out}')

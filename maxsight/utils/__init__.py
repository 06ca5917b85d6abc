from .config_preparation import (apply_condition, dataset_ann_file, ensure_embedded_dataset,
                                 fill_evaluator_ann_files, init_cpu_distributed,
                                 insert_after_loading, load_config, preload_batches,
                                 prepare_config, resolve_num_classes)

__all__ = ['apply_condition', 'dataset_ann_file', 'ensure_embedded_dataset',
           'fill_evaluator_ann_files', 'init_cpu_distributed', 'insert_after_loading',
           'load_config', 'preload_batches', 'prepare_config', 'resolve_num_classes']

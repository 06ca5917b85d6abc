from .config_preparation import (apply_condition, check_config_values, dataset_ann_file,
                                 default_work_dir, ensure_embedded_dataset,
                                 fill_evaluator_ann_files, insert_after_loading, load_config,
                                 preload_batches, prepare_config, resolve_num_classes)

__all__ = ['apply_condition', 'check_config_values', 'dataset_ann_file', 'default_work_dir',
           'ensure_embedded_dataset', 'fill_evaluator_ann_files', 'insert_after_loading',
           'load_config', 'preload_batches', 'prepare_config', 'resolve_num_classes']

from .config_preparation import (dataset_ann_file, ensure_embedded_dataset,
                                 fill_evaluator_ann_files, prepare_config, resolve_num_classes)

__all__ = ['dataset_ann_file', 'ensure_embedded_dataset', 'fill_evaluator_ann_files',
           'prepare_config', 'resolve_num_classes']

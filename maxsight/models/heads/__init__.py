from .cross_task_head import CrossTaskDenseHead
from .multitask_dense_head import MultiTaskDenseHead

__all__ = ['CrossTaskDenseHead', 'MultiTaskDenseHead']

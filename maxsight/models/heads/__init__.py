from .multitask_dense_head import MultiTaskDenseHead

__all__ = ['MultiTaskDenseHead']

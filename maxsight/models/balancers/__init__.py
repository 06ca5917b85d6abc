from .base_balancer import DEFAULT_TASKS, TaskBalancer
from .gradnorm import GradNorm
from .static_weights import StaticWeights

__all__ = ['DEFAULT_TASKS', 'TaskBalancer', 'GradNorm', 'StaticWeights']

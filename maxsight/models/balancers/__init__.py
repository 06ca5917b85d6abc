from .base_balancer import DEFAULT_TASKS, TaskBalancer
from .dwa import DynamicWeightAverage
from .gradnorm import GradNorm
from .pcgrad import PCGrad, pcgrad_project
from .static_weights import StaticWeights
from .uncertainty import UncertaintyWeighting

__all__ = ['DEFAULT_TASKS', 'TaskBalancer', 'DynamicWeightAverage', 'GradNorm', 'PCGrad',
           'pcgrad_project', 'StaticWeights', 'UncertaintyWeighting']

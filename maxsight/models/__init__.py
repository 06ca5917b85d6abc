from . import (balancers, backbones, data_preprocessors, detectors, heads, layers,  # noqa: F401
               losses, necks, task_modules)
from .ema import ExponentialMovingAverage

__all__ = ['balancers', 'backbones', 'data_preprocessors', 'detectors', 'heads', 'layers',
           'losses', 'necks', 'task_modules', 'ExponentialMovingAverage']

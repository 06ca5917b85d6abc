from . import balancers, backbones, data_preprocessors, detectors, heads, layers, losses, necks, task_modules  # noqa: F401,E501

__all__ = ['balancers', 'backbones', 'data_preprocessors', 'detectors', 'heads', 'layers', 'losses', 'necks',
           'task_modules']

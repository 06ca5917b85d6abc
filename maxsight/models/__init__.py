from . import backbones, data_preprocessors, detectors, heads, layers, losses, necks, task_modules  # noqa: F401,E501

__all__ = ['backbones', 'data_preprocessors', 'detectors', 'heads', 'layers', 'losses', 'necks',
           'task_modules']

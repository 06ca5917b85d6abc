from .metrics import AssistiveMetric, CocoMetric, LightingMetric

__all__ = ['AssistiveMetric', 'CocoMetric', 'LightingMetric']

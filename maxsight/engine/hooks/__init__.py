from .fault_injection_hook import FaultInjectionHook
from .memory_monitor_hook import MemoryMonitorHook
from .randomness_hook import EpochRandomnessHook
from .show_predictions_hook import ShowPredictionsHook

__all__ = ['EpochRandomnessHook', 'FaultInjectionHook', 'MemoryMonitorHook',
           'ShowPredictionsHook']

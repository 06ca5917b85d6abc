from .fault_injection_hook import FaultInjectionHook
from .randomness_hook import EpochRandomnessHook
from .show_predictions_hook import ShowPredictionsHook

__all__ = ['EpochRandomnessHook', 'FaultInjectionHook', 'ShowPredictionsHook']

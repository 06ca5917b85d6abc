from .answer_refit_hook import AnswerRefitHook
from .evaluation_timer_hook import EvaluationTimerHook
from .fault_injection_hook import FaultInjectionHook
from .memory_monitor_hook import MemoryMonitorHook
from .operating_point_hook import OperatingPointHook, store_operating_point
from .optuna_pruning_hook import OptunaPruningHook
from .randomness_hook import EpochRandomnessHook
from .show_predictions_hook import ShowPredictionsHook
from .smoke_check_hook import SmokeCheckHook
from .training_plots_hook import TrainingPlotsHook

__all__ = ['AnswerRefitHook', 'EpochRandomnessHook', 'EvaluationTimerHook', 'FaultInjectionHook',
           'MemoryMonitorHook', 'OperatingPointHook', 'OptunaPruningHook',
           'ShowPredictionsHook', 'SmokeCheckHook', 'TrainingPlotsHook',
           'store_operating_point']

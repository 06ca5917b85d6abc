from .checkpoint import UnsafeCheckpointError, safe_globals, safe_load_checkpoint
from .hooks import EpochRandomnessHook, ShowPredictionsHook
from .loops import ClipTestLoop, ClipValLoop
from .model_wrapper import MaxSightDistributedDataParallel
from .runner import MaxSightRunner, build_runner
from .stability import GuardedOptimWrapper, StabilityHook

__all__ = ['UnsafeCheckpointError', 'safe_globals', 'safe_load_checkpoint', 'ShowPredictionsHook', 'EpochRandomnessHook',
           'ClipTestLoop', 'ClipValLoop', 'GuardedOptimWrapper', 'StabilityHook',
           'MaxSightDistributedDataParallel', 'MaxSightRunner', 'build_runner']

from .checkpoint import UnsafeCheckpointError, safe_globals, safe_load_checkpoint
from .hooks import ShowPredictionsHook
from .loops import ClipTestLoop, ClipValLoop
from .model_wrapper import MaxSightDistributedDataParallel
from .stability import GuardedOptimWrapper, StabilityHook

__all__ = ['UnsafeCheckpointError', 'safe_globals', 'safe_load_checkpoint', 'ShowPredictionsHook',
           'ClipTestLoop', 'ClipValLoop', 'GuardedOptimWrapper', 'StabilityHook',
           'MaxSightDistributedDataParallel']

from . import atomic_backend  # noqa: F401  (registers the 'maxsight_atomic' file backend)
from .checkpoint import UnsafeCheckpointError, safe_globals, safe_load_checkpoint
from .hooks import EpochRandomnessHook, ShowPredictionsHook
from .loops import ClipTestLoop, ClipValLoop
from .model_wrapper import MaxSightDistributedDataParallel
from .stability import GuardedOptimWrapper, StabilityHook

__all__ = ['UnsafeCheckpointError', 'safe_globals', 'safe_load_checkpoint', 'ShowPredictionsHook', 'EpochRandomnessHook',
           'ClipTestLoop', 'ClipValLoop', 'GuardedOptimWrapper', 'StabilityHook',
           'MaxSightDistributedDataParallel']

from .checkpoint import UnsafeCheckpointError, safe_globals, safe_load_checkpoint

__all__ = ['UnsafeCheckpointError', 'safe_globals', 'safe_load_checkpoint']

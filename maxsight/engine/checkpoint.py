"""What ``register_all_modules()`` installs into mmengine for checkpoints (DESIGN section 9).

:func:`install_safe_checkpoints` is explicit and idempotent; importing this module changes
nothing. It makes two changes, both needed because mmengine offers no subclass hook for
them:

* mmengine's loader for local paths (scheme ``''``) becomes
  :func:`maxsight.checkpoint_io.safe_load_checkpoint`, so ``Runner.resume``, ``load_from``
  and ``load_checkpoint`` all load with ``weights_only=True`` and the allowlist;
* ``HistoryBuffer`` pickles without its ``statistics_methods`` (see
  :func:`_history_buffer_getstate`), so the message hub saved in every checkpoint holds no
  global outside the allowlist.
"""
from typing import Any

from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from ..checkpoint_io import UnsafeCheckpointError, safe_globals, safe_load_checkpoint

__all__ = ['UnsafeCheckpointError', 'install_safe_checkpoints', 'safe_globals',
           'safe_load_checkpoint']


def _history_buffer_getstate(self: HistoryBuffer) -> dict:
    """``HistoryBuffer`` state without its ``statistics_methods`` (functions).

    mmengine pickles those functions as ``builtins.getattr(HistoryBuffer, 'min')``;
    ``getattr`` cannot be allowlisted safely (it reaches any attribute of any object, the
    classic gadget chain), and ``__setstate__`` restores the default methods anyway, while
    custom ones are registered on the class at import time.
    """
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def _load_local(filename: str, map_location: Any = None) -> Any:
    return safe_load_checkpoint(filename, map_location)


def install_safe_checkpoints() -> None:
    """Install both changes of the module docstring (again is harmless)."""
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    CheckpointLoader.register_scheme(prefixes='', loader=_load_local, force=True)

"""Safe checkpoint loading (DESIGN section 9).

Checkpoints are read with ``torch.load(weights_only=True)``, which unpickles only tensors,
containers and primitive types, plus an explicit allowlist of the globals MaxSight and
mmengine themselves write (mmengine's ``HistoryBuffer`` in the message hub, numpy arrays,
scalars and dtypes in logged values). Anything else is refused with
:class:`UnsafeCheckpointError` and never executed. There is no unsafe fallback.

A neutral module (models, engine and apis import it); ``register_all_modules()`` makes
mmengine's own loading use it (``maxsight.engine.checkpoint``).
"""
import pickle
import re
import warnings
from typing import Any, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled global outside MaxSight's allowlist."""


def _numpy_globals() -> List[Any]:
    """numpy objects found in mmengine checkpoints, under both numpy 1 and 2 names."""
    entries: List[Any] = [np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries.append((_multiarray._reconstruct, f'{module}._reconstruct'))
        entries.append((_multiarray.scalar, f'{module}.scalar'))
    dtype_classes = {type(np.dtype(t)) for t in
                     ('float64', 'float32', 'float16', 'int64', 'int32', 'int16', 'int8',
                      'uint8', 'bool')}
    entries.extend(sorted(dtype_classes, key=lambda c: c.__name__))
    return entries


def safe_globals() -> List[Any]:
    """The allowlist: every non-builtin global a MaxSight checkpoint may contain."""
    return [HistoryBuffer, *_numpy_globals()]


_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')


class CheckpointFormatError(ValueError):
    """The file is not a complete ``torch.save`` file."""


#: torch.save's zip format, and the legacy pickle format (protocol 2+)
_MAGICS = (b'PK\x03\x04', b'\x80')


def _size(filename: str) -> str:
    import os
    return f'{os.path.getsize(filename):,} bytes'


def check_checkpoint_file(filename: str) -> None:
    """Cheap checks before anything is built: the file exists, is a ``torch.save`` file
    (not text, an image or empty) and, in the zip format, is complete (its central
    directory, written last, is there: a truncated copy fails here). Clear errors."""
    import zipfile
    try:
        with open(filename, 'rb') as f:
            head = f.read(4)
    except FileNotFoundError:
        raise FileNotFoundError(f'checkpoint not found: {filename}') from None
    except IsADirectoryError:
        raise CheckpointFormatError(f'{filename} is a folder, not a checkpoint file') from None
    if not head.startswith(_MAGICS):
        raise CheckpointFormatError(
            f'{filename} is not a PyTorch checkpoint (torch.save file; it starts with '
            f'{head!r}, {_size(filename)}): give the .pth file training wrote')
    if head.startswith(_MAGICS[0]) and not zipfile.is_zipfile(filename):
        raise CheckpointFormatError(
            f'{filename}: damaged or truncated checkpoint ({_size(filename)}; its zip '
            'directory is missing): save or copy it again')


def safe_load_checkpoint(filename: str, map_location: Any = 'cpu') -> Any:
    """Load ``filename`` with ``weights_only=True`` and the allowlist.

    Raises :class:`UnsafeCheckpointError` naming the refused global when the file pickles
    anything else (e.g. a callable that would run code), ``FileNotFoundError`` if missing.
    """
    check_checkpoint_file(filename)
    try:
        with warnings.catch_warnings(), torch.serialization.safe_globals(safe_globals()):
            warnings.simplefilter('ignore', FutureWarning)
            return torch.load(filename, map_location=map_location, weights_only=True)
    except FileNotFoundError:  # removed between the check and the load
        raise FileNotFoundError(f'checkpoint not found: {filename}') from None
    except (RuntimeError, OSError, EOFError) as e:
        raise CheckpointFormatError(
            f'{filename}: damaged or truncated checkpoint ({_size(filename)}; '
            f'{type(e).__name__}: {" ".join(str(e).split())[:80]}): save or copy it again'
        ) from None
    except pickle.UnpicklingError as e:
        found = _GLOBAL_RE.search(str(e))
        what = f"the pickled global '{found.group(1)}'" if found else 'a pickled object'
        raise UnsafeCheckpointError(
            f'{filename}: refused to load: it contains {what}, which is not in MaxSight\'s '
            'allowlist of checkpoint contents (it could execute code). Only load '
            'checkpoints you trust; to convert a trusted one, load its state_dict in a '
            'separate script and save that.') from None

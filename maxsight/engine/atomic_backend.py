"""Checkpoint storage that a kill can't corrupt, and pruning that can't escape the work dir.

mmengine writes checkpoints with ``open(path, 'wb')``: a SIGKILL during the write leaves a
truncated ``epoch_N.pth`` under the final name. :class:`AtomicLocalBackend` (mmengine file
backend ``'maxsight_atomic'``, installed by ``register_all_modules()``, selected in
``default_hooks.checkpoint.backend_args``) writes
to a hidden temporary file in the same folder, fsyncs it and renames it over the final
name (``os.replace`` is atomic on POSIX), so a file under a checkpoint name is always
complete; it gets the mode a plain ``open`` would (0644 under umask 022). Removing an old checkpoint that is a symbolic link deletes the link only, never
what it points to.
"""
import os
import os.path as osp
import shutil
import tempfile
from pathlib import Path
from typing import Callable, List, Union

from mmengine.fileio import LocalBackend, register_backend

BACKEND_NAME = 'maxsight_atomic'
TMP_PREFIX = '.partial-'
CHUNK_BYTES = 1 << 18

#: called after every chunk written as ``fn(tmp_path, bytes_written, total_bytes)``; used by
#: ``FaultInjectionHook`` to kill a run halfway through a checkpoint write
WRITE_OBSERVERS: List[Callable[[str, int, int], None]] = []


def current_umask() -> int:
    """The process' umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that readers see the old file or the whole new one."""
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + osp.basename(filepath) + '.', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            for start in range(0, len(data), CHUNK_BYTES):
                f.write(data[start:start + CHUNK_BYTES])
                f.flush()
                for observer in WRITE_OBSERVERS:
                    observer(tmp, min(start + CHUNK_BYTES, len(data)), len(data))
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 0600 would hide it from others
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:  # make the rename itself durable
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_checkpoint_atomic(ckpt: dict, filepath: Union[str, Path]) -> None:
    """``torch.save`` of ``ckpt`` through :func:`atomic_write_bytes`."""
    import io

    import torch
    buffer = io.BytesIO()
    torch.save(ckpt, buffer)
    atomic_write_bytes(buffer.getvalue(), filepath)


def remove_partial_writes(folder: Union[str, Path]) -> int:
    """Delete temporary files left by writes that were killed; returns how many."""
    folder = str(folder)
    if not osp.isdir(folder):
        return 0
    stale = [n for n in os.listdir(folder)
             if n.startswith(TMP_PREFIX) and not osp.islink(osp.join(folder, n))]
    for name in stale:
        os.remove(osp.join(folder, name))
    return len(stale)


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` with atomic ``put``/``put_text`` and
    symlink-safe ``remove``/``rmtree``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)

    def remove(self, filepath: Union[str, Path]) -> None:
        if osp.islink(filepath):
            os.unlink(filepath)  # the link, not its target
            return
        super().remove(filepath)

    def rmtree(self, dir_path: Union[str, Path]) -> None:
        if osp.islink(dir_path):
            os.unlink(dir_path)
            return
        shutil.rmtree(dir_path)


def install_atomic_backend() -> None:
    """Register :class:`AtomicLocalBackend` as mmengine file backend ``'maxsight_atomic'``
    (``register_all_modules()`` does; again is harmless)."""
    register_backend(BACKEND_NAME, AtomicLocalBackend, force=True)

"""Which checkpoint ``--resume`` (auto) continues from.

mmengine follows ``<work_dir>/last_checkpoint`` blindly. MaxSight takes the newest complete
``epoch_N.pth`` / ``iter_N.pth`` (``last_checkpoint`` is written after the checkpoint, so a
kill in between leaves it one behind), and ``last_checkpoint``'s target only when there is
no numbered one: a run killed at any moment resumes from the last checkpoint that was
fully written. Checkpoints are torch zip archives; one
whose central directory can't be read is incomplete.
"""
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional

_NUMBERED = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def is_complete_checkpoint(path: str) -> bool:
    """True when ``path`` is a readable torch zip checkpoint (not truncated)."""
    if not osp.isfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith('data.pkl') for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def numbered_checkpoints(work_dir: str) -> List[str]:
    """``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir``, newest (highest N) first."""
    if not osp.isdir(work_dir):
        return []
    found = [(int(m.group(2)), n) for n in os.listdir(work_dir)
             if (m := _NUMBERED.match(n))]
    return [osp.join(work_dir, n) for _, n in sorted(found, reverse=True)]


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint to resume from in ``work_dir``, or None when there is none."""
    candidates = numbered_checkpoints(work_dir)
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8') as f:
            named = f.read().strip()
        inside = osp.realpath(osp.dirname(osp.abspath(named))) == osp.realpath(work_dir)
        if named and inside:
            candidates.append(named)
    for path in candidates:
        if is_complete_checkpoint(path):
            return path
    return None

"""What the command-line tools share: one-line errors, a clean work dir after a failure,
and checks of config values and checkpoints before anything runs."""
import argparse
import os
import os.path as osp
import re
import shutil
import sys
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional

from mmengine.config import Config

from ..datasets.coco_parsing import AnnotationError
from ..checkpoint_io import UnsafeCheckpointError
from ..tool_runner import run_tool  # noqa: F401  (the tools' entry point, torch-free)
from .errors import ToolError

DEBUG_ENV = 'MAXSIGHT_DEBUG'


# what a user's input (files, config, flags, disk) can cause; anything else is a bug and
# keeps its traceback. MAXSIGHT_DEBUG=1 shows the traceback for these too.
USER_ERRORS = (ToolError, AnnotationError, UnsafeCheckpointError, OSError, KeyError,
               ValueError, TypeError, SyntaxError)


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line; for an error re-raised from a data-loader worker,
    the original error's last line."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = str(text)
    if 'Original Traceback' in text:
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        text = lines[-1]
    if isinstance(exc, OSError) and exc.strerror:
        text = f'{exc.strerror}: {exc.filename}' if exc.filename else exc.strerror
    return ' '.join(text.split())


def add_matching_arguments(parser: argparse.ArgumentParser) -> None:
    """``--score-thr`` and ``--iou-thr``: how an analysis tool matches detections to
    annotated objects, as ``AssistiveMetric`` does (its display threshold 0.3, IoU 0.5)."""
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='display threshold: detections kept for matching '
                             '(default: %(default)s)')
    parser.add_argument('--iou-thr', type=float, default=0.5,
                        help='IoU to count an object as found (default: %(default)s)')


_RUN_DIR = re.compile(r'^\d{8}_\d{6}$')
_CHECKPOINT = re.compile(r'^(epoch|iter)_\d+\.pth$|^best_.*\.pth$')


@contextmanager
def clean_work_dir_on_failure(work_dir: str) -> Iterator[None]:
    """If the body fails before it wrote a checkpoint, remove what it added to ``work_dir``
    (the run's log folder, the dumped config, the folder itself if it created it); files
    that were there before are never touched. A run that saved a checkpoint is resumable
    and keeps its files."""
    existed = osp.isdir(work_dir)
    before = set(os.listdir(work_dir)) if existed else set()
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        if osp.isdir(work_dir):
            added = set(os.listdir(work_dir)) - before
            if not any(_CHECKPOINT.match(n) for n in added):
                for name in added:
                    path = osp.join(work_dir, name)
                    if osp.isdir(path) and not osp.islink(path) and _RUN_DIR.match(name):
                        shutil.rmtree(path, ignore_errors=True)
                    elif osp.isfile(path) or osp.islink(path):
                        os.remove(path)
                if not existed and not os.listdir(work_dir):
                    os.rmdir(work_dir)
        raise


def unwrap_model(model):
    """The model inside a DDP / mmengine wrapper, or ``model``."""
    from mmengine.model import is_model_wrapper
    return model.module if is_model_wrapper(model) else model

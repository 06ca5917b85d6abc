"""``run_tool``: how every command-line tool runs its ``main``, importable without torch
(so ``--help`` answers at once; the tools import the heavy modules inside ``main``).

A user error (:data:`maxsight.utils.cli.USER_ERRORS`) ends the tool with ``error: <one
line>`` on stderr and exit status 2 (``MAXSIGHT_DEBUG=1`` keeps the traceback). After a
successful ``main`` the process group of a distributed run (``--launcher pytorch``) is
destroyed: left to interpreter exit, gloo's worker threads can abort the process
("terminate called without an active exception", exit -6, pytorch/pytorch#190489). After
a failure it is left alone, as destroying it could wait forever on ranks still inside a
collective.
"""
import os
import sys
from typing import Callable, List, Optional


def run_tool(main: Callable[[Optional[List[str]]], object],
             argv: Optional[List[str]] = None) -> object:
    """Run a tool's ``main`` (module docstring)."""
    try:
        result = main(argv)
    except SystemExit as exc:  # raise SystemExit('error: ...') in the tools, argparse
        if isinstance(exc.code, str):
            message = exc.code if exc.code.startswith('error:') else f'error: {exc.code}'
            print(message, file=sys.stderr)
            raise SystemExit(2) from None
        raise
    except Exception as exc:  # noqa: BLE001 - sorted into user errors and bugs below
        from .utils.cli import DEBUG_ENV, USER_ERRORS, one_line
        if not isinstance(exc, USER_ERRORS) or os.environ.get(DEBUG_ENV):
            raise
        print(f'error: {one_line(exc)}', file=sys.stderr)
        raise SystemExit(2) from None
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    return result

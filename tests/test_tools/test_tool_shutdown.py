"""run_tool closes the process group of a distributed run once the tool succeeded, and
leaves it open after a failure (other ranks may still be inside a collective)."""
import socket

import pytest
import torch.distributed as dist

from maxsight.utils.cli import run_tool


def _open_group():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0,
                            world_size=1)


def _user_error(argv):
    raise ValueError('bad value')


def _bug(argv):
    raise RuntimeError('a bug')


def test_process_group_destroyed_after_success_only():
    _open_group()
    try:
        assert run_tool(lambda argv: argv + ['done'], ['x']) == ['x', 'done']
        assert not dist.is_initialized()
        _open_group()
        with pytest.raises(SystemExit) as exit_info:
            run_tool(_user_error, [])
        assert exit_info.value.code == 2
        assert dist.is_initialized()
        with pytest.raises(RuntimeError, match='a bug'):
            run_tool(_bug, [])
        assert dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_no_process_group_is_left_alone():
    assert not dist.is_initialized()
    assert run_tool(lambda argv: 7) == 7
    assert not dist.is_initialized()

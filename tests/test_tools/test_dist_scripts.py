"""tools/dist_train.sh and dist_test.sh hand torchrun the node layout from NNODES,
NODE_RANK, MASTER_ADDR and PORT (PYTHON=echo prints the command instead of running it)."""
import os
import subprocess

from ..helpers import ROOT


def _command(script, args, **env):
    proc = subprocess.run(['bash', f'tools/{script}', *args], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, PYTHON='echo', **env), timeout=30)
    return proc.returncode, proc.stdout.split(), proc.stderr


def test_dist_train_passes_the_node_layout_to_torchrun():
    rc, words, _ = _command('dist_train.sh', ['cfg.py', '8', '--amp'], NNODES='2',
                            NODE_RANK='1', MASTER_ADDR='10.0.0.1', PORT='29612')
    assert rc == 0
    assert words == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                     '--master_addr=10.0.0.1', '--nproc_per_node=8', '--master_port=29612',
                     'tools/train.py', 'cfg.py', '--launcher', 'pytorch', '--amp']


def test_dist_scripts_default_to_one_local_node_and_explain_their_arguments():
    env = {k: v for k, v in os.environ.items()
           if k not in ('NNODES', 'NODE_RANK', 'MASTER_ADDR', 'PORT')}
    proc = subprocess.run(['bash', 'tools/dist_test.sh', 'cfg.py', 'ck.pth', '2'], cwd=ROOT,
                          capture_output=True, text=True, env=dict(env, PYTHON='echo'))
    assert proc.stdout.split()[2:7] == ['--nnodes=1', '--node_rank=0',
                                        '--master_addr=127.0.0.1', '--nproc_per_node=2',
                                        '--master_port=29500']
    assert proc.stdout.split()[7:] == ['tools/test.py', 'cfg.py', 'ck.pth', '--launcher',
                                       'pytorch']
    rc, _, err = _command('dist_train.sh', ['cfg.py'])
    assert rc == 2 and 'usage: tools/dist_train.sh CONFIG GPUS_PER_NODE' in err

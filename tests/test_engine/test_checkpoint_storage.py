"""Atomic checkpoint writes, symlink-safe pruning, choosing the checkpoint to resume from,
per-epoch randomness."""
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from maxsight.datasets.worker_seed import seed_worker
from maxsight.engine import atomic_backend
from maxsight.engine.atomic_backend import AtomicLocalBackend, remove_partial_writes
from maxsight.engine.hooks.randomness_hook import (capture_rng_state, epoch_seed,
                                                   restore_rng_state, seed_everything)
from maxsight.engine.resume import find_resume_checkpoint


def _save(path, value):
    AtomicLocalBackend().put(_bytes(value), path)


def _bytes(value):
    import io
    buf = io.BytesIO()
    torch.save({'state_dict': {'w': torch.full((70000,), float(value))}}, buf)
    return buf.getvalue()


def test_interrupted_write_keeps_the_old_file_and_leaves_only_a_partial(tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    _save(path, 1.0)
    old = open(path, 'rb').read()

    class Killed(Exception):
        pass

    def die(tmp, written, total):
        if written >= total // 2:
            raise Killed
    atomic_backend.WRITE_OBSERVERS.append(die)
    try:
        with pytest.raises(Killed):
            _save(path, 2.0)
    finally:
        atomic_backend.WRITE_OBSERVERS.remove(die)
    assert open(path, 'rb').read() == old
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # the partial file was removed on error


def test_resume_picks_newest_complete_checkpoint(tmp_path):
    work = str(tmp_path)
    _save(osp.join(work, 'epoch_2.pth'), 2.0)
    _save(osp.join(work, 'epoch_3.pth'), 3.0)
    # killed after epoch_3 was renamed into place, before last_checkpoint was updated
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_2.pth'))
    assert find_resume_checkpoint(work) == osp.join(work, 'epoch_3.pth')
    # a truncated file under a checkpoint name (written by something else) is skipped
    data = _bytes(4.0)
    with open(osp.join(work, 'epoch_4.pth'), 'wb') as f:
        f.write(data[:len(data) // 2])
    assert find_resume_checkpoint(work) == osp.join(work, 'epoch_3.pth')
    # last_checkpoint is used when there is no numbered checkpoint; garbage is ignored
    other = str(tmp_path / 'other')
    os.makedirs(other)
    _save(osp.join(other, 'custom.pth'), 5.0)
    with open(osp.join(other, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(other, 'custom.pth'))
    assert find_resume_checkpoint(other) == osp.join(other, 'custom.pth')
    with open(osp.join(other, 'last_checkpoint'), 'w') as f:
        f.write('')
    assert find_resume_checkpoint(other) is None


def test_partial_writes_are_removed(tmp_path):
    (tmp_path / '.partial-epoch_3.pth.abc').write_bytes(b'half')
    (tmp_path / 'epoch_2.pth').write_bytes(b'keep')
    assert remove_partial_writes(str(tmp_path)) == 1
    assert os.listdir(tmp_path) == ['epoch_2.pth']


def test_pruning_a_symlinked_checkpoint_removes_only_the_link(tmp_path):
    outside = tmp_path / 'precious'
    outside.mkdir()
    (outside / 'data.bin').write_bytes(b'keep me')
    work = tmp_path / 'work'
    work.mkdir()
    os.symlink(outside / 'data.bin', work / 'epoch_1.pth')
    os.symlink(outside, work / 'epoch_2.pth')
    backend = AtomicLocalBackend()
    backend.remove(str(work / 'epoch_1.pth'))
    backend.rmtree(str(work / 'epoch_2.pth'))
    assert os.listdir(work) == []
    assert (outside / 'data.bin').read_bytes() == b'keep me'


def test_epoch_seeds_differ_by_epoch_and_rank_and_are_stable():
    seeds = {epoch_seed(0, e) for e in range(50)}
    assert len(seeds) == 50
    assert epoch_seed(0, 3) == epoch_seed(0, 3) != epoch_seed(0, 3, rank=1)
    assert epoch_seed(0, 3) != epoch_seed(1, 3)


def test_rng_state_round_trip():
    seed_everything(7)
    state = capture_rng_state()
    first = (random.random(), np.random.rand(), torch.rand(3))
    restore_rng_state(state)
    again = (random.random(), np.random.rand(), torch.rand(3))
    assert first[:2] == again[:2] and torch.equal(first[2], again[2])


class _Draws(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return np.random.randint(1 << 30), random.randint(0, 1 << 30)


def _epoch_draws(epoch):
    seed_everything(epoch_seed(0, epoch))
    loader = DataLoader(_Draws(), batch_size=None, num_workers=2, worker_init_fn=seed_worker)
    return [tuple(int(x) for x in item) for item in loader]


def test_worker_augmentation_streams_change_per_epoch_and_replay_exactly():
    e0, e1 = _epoch_draws(0), _epoch_draws(1)
    assert e0 == _epoch_draws(0)  # the same epoch replays exactly (what resume needs)
    assert set(e0).isdisjoint(e1)  # and the next epoch draws new numbers
    assert len(set(e0)) == 4  # workers do not share a stream


def test_epoch_seed_is_the_seed_sequence_of_seed_epoch_and_rank():
    def ref(*entropy):
        return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0])
    assert epoch_seed(5, 2) == ref(5, 2)
    assert epoch_seed(5, 2, rank=3) == ref(5, 2, 3)
    assert epoch_seed(2**32 + 5, 2) == ref(5, 2)  # a seed above 32 bits wraps


def test_seed_everything_seeds_python_numpy_and_torch():
    seed_everything(11)
    got = (random.random(), np.random.rand(), torch.rand(2))
    assert got[0] == random.Random(11).random()
    assert got[1] == np.random.RandomState(11).rand()
    assert torch.equal(got[2], torch.rand(2, generator=torch.Generator().manual_seed(11)))


def test_rng_state_survives_a_weights_only_checkpoint_with_a_cached_gaussian(tmp_path):
    seed_everything(3)
    np.random.randn()  # numpy's legacy generator now holds a cached second Gaussian
    state = capture_rng_state()
    assert state['numpy'][3] == 1
    path = tmp_path / 'rng.pth'
    torch.save({'rng_state': state}, path)
    loaded = torch.load(path, weights_only=True)['rng_state']
    first = (random.random(), np.random.randn(), np.random.rand(), torch.rand(2))
    python = loaded['python']
    loaded['python'] = [python[0], list(python[1]), python[2]]  # as some serialisers give
    restore_rng_state(loaded)
    again = (random.random(), np.random.randn(), np.random.rand(), torch.rand(2))
    assert first[:3] == again[:3] and torch.equal(first[3], again[3])


class _FakeRunner:
    def __init__(self, seed=4, epoch=2, diff_rank_seed=False, num_workers=0,
                 persistent_workers=False, resume=True):
        from types import SimpleNamespace
        self.seed, self.epoch, self._resume = seed, epoch, resume
        self.cfg = dict(randomness=dict(seed=seed, diff_rank_seed=diff_rank_seed))
        self.train_dataloader = SimpleNamespace(num_workers=num_workers,
                                                persistent_workers=persistent_workers)
        self.warnings = []
        self.logger = SimpleNamespace(warning=self.warnings.append)


def _draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_epoch_randomness_hook_seeds_each_epoch_from_seed_epoch_and_rank(monkeypatch):
    from maxsight.engine.hooks import randomness_hook
    hook = randomness_hook.EpochRandomnessHook()
    assert hook.priority == 'VERY_HIGH'
    hook.before_train_epoch(_FakeRunner(seed=4, epoch=2))
    got = _draws()
    seed_everything(epoch_seed(4, 2))
    assert got == _draws()
    monkeypatch.setattr(randomness_hook, 'get_rank', lambda: 1)
    hook.before_train_epoch(_FakeRunner(seed=4, epoch=2, diff_rank_seed=True))
    got = _draws()
    seed_everything(epoch_seed(4, 2, rank=1))
    assert got == _draws()


def test_epoch_randomness_hook_warns_about_persistent_workers_only():
    from maxsight.engine.hooks.randomness_hook import EpochRandomnessHook
    hook = EpochRandomnessHook()
    for workers, persistent, warned in ((2, False, 0), (0, True, 0), (2, True, 1)):
        runner = _FakeRunner(num_workers=workers, persistent_workers=persistent)
        hook.before_train(runner)
        assert len(runner.warnings) == warned
    assert 'set persistent_workers=False for exact resume' in runner.warnings[0]


def test_epoch_randomness_hook_saves_and_restores_on_resume_only():
    from maxsight.engine.hooks.randomness_hook import RNG_KEY, EpochRandomnessHook
    assert RNG_KEY == 'rng_state'
    hook = EpochRandomnessHook()
    seed_everything(9)
    checkpoint = {}
    hook.before_save_checkpoint(_FakeRunner(), checkpoint)
    expected = _draws()
    hook.after_load_checkpoint(_FakeRunner(resume=False), checkpoint)  # load_from: no restore
    assert _draws() != expected
    hook.after_load_checkpoint(_FakeRunner(resume=True), {})  # no state saved: nothing to do
    hook.after_load_checkpoint(_FakeRunner(resume=True), checkpoint)
    assert _draws() == expected


def test_epoch_randomness_hook_defaults_when_the_config_says_nothing(monkeypatch):
    from types import SimpleNamespace

    from maxsight.engine.hooks import randomness_hook
    monkeypatch.setattr(randomness_hook, 'get_rank', lambda: 3)
    hook = randomness_hook.EpochRandomnessHook()
    bare = SimpleNamespace(seed=4, epoch=2, cfg={})  # no randomness key: one seed for all
    hook.before_train_epoch(bare)
    got = _draws()
    seed_everything(epoch_seed(4, 2))
    assert got == _draws()
    seed_everything(9)
    checkpoint = {}
    hook.before_save_checkpoint(bare, checkpoint)
    expected = _draws()
    hook.after_load_checkpoint(SimpleNamespace(), checkpoint)  # no _resume attribute
    assert _draws() != expected
    one_worker = _FakeRunner(num_workers=1, persistent_workers=True)
    hook.before_train(one_worker)
    assert len(one_worker.warnings) == 1 and one_worker.warnings[0].startswith(
        'EpochRandomnessHook: train_dataloader.persistent_workers=True keeps worker '
        'generators across epochs, so a resumed run will not replay the same augmentation')


@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_get_the_users_umask(tmp_path, umask, mode):
    import os
    import stat

    from maxsight.engine.atomic_backend import atomic_write_bytes
    old = os.umask(umask)
    try:
        atomic_write_bytes(b'x', tmp_path / 'f.json')
        assert os.umask(umask) == umask  # unchanged by the write
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'f.json').st_mode) == mode

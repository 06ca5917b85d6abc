import logging
import time

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from maxsight.engine.stability import BAD_STEP_KEY, GuardedOptimWrapper, StabilityHook

from ..helpers import synthetic_batch, tiny_model


def test_nonfinite_task_loss_skips_update_and_names_the_task():
    hub = MessageHub.get_instance(f'stability-test-1-{time.time_ns()}')  # new: current
    model = tiny_model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    wrapper = OptimWrapper(opt)
    model.train_step(synthetic_batch(), wrapper)  # one real step so the optimiser has state
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = {k: v.clone() for k, v in opt.state[next(iter(opt.state))].items()}
    hub.update_info(BAD_STEP_KEY, [])
    head = model.bbox_head
    original = head.loss_by_preds

    def poisoned(*args, **kwargs):
        losses = original(*args, **kwargs)
        losses['loss_distance'] = losses['loss_distance'] * float('nan')
        return losses

    head.loss_by_preds = poisoned
    log = model.train_step(synthetic_batch(), wrapper)
    assert hub.get_info(BAD_STEP_KEY) == ['loss_distance']
    assert 'loss_distance' not in log and 'loss_cls' in log
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    for k, v in opt.state[next(iter(opt.state))].items():
        assert torch.equal(v, opt_before[k])


def test_guarded_wrapper_refuses_infinite_gradients():
    MessageHub.get_instance(f'stability-test-2-{time.time_ns()}').update_info(BAD_STEP_KEY, [])
    p = torch.nn.Parameter(torch.ones(3))
    wrapper = GuardedOptimWrapper(torch.optim.SGD([p], lr=1.0))
    wrapper.update_params((p * torch.tensor([1.0, float('inf'), 1.0])).sum())
    assert torch.equal(p.detach(), torch.ones(3))
    assert MessageHub.get_current_instance().get_info(BAD_STEP_KEY) == ['gradient']
    wrapper.update_params(p.sum())
    assert torch.equal(p.detach(), torch.zeros(3))


class FakeRunner:
    def __init__(self, lr=0.1):
        self.message_hub = MessageHub.get_instance(f'stability-test-3-{time.time_ns()}')
        self.optim_wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))],
                                                          lr=lr))
        self.logger = logging.getLogger('stability-test')
        self.iter = 0


def _step(hook, runner, bad):
    hook.before_train_iter(runner, 0)
    lr_during = runner.optim_wrapper.param_groups[0]['lr']
    if bad:
        runner.message_hub.update_info(BAD_STEP_KEY, ['loss_cls'])
    hook.after_train_iter(runner, 0)
    runner.iter += 1
    return lr_during


def test_hook_backs_off_recovers_aborts_and_round_trips():
    hook = StabilityHook(backoff_after=2, backoff_factor=0.1, recover_after=3, abort_after=5)
    runner = FakeRunner()
    lrs = [_step(hook, runner, bad) for bad in (True, True, False, False, False, False)]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.01, 0.1])
    assert runner.optim_wrapper.param_groups[0]['lr'] == pytest.approx(0.1)  # restored
    assert hook.skipped == {'loss_cls': 2}
    saved = {}
    hook.before_save_checkpoint(runner, saved)
    fresh = StabilityHook()
    fresh.after_load_checkpoint(runner, saved)
    assert fresh.state() == hook.state()
    with pytest.raises(RuntimeError, match='5 consecutive updates'):
        for _ in range(5):
            _step(hook, runner, True)


def test_backoff_factor_must_be_a_fraction_that_still_learns():
    """0 would stop learning for good, above 1 would raise the rate: (0, 1] only."""
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r'backoff_factor must be in \(0, 1\]'):
            StabilityHook(backoff_factor=bad)
    assert StabilityHook(backoff_factor=1.0).backoff_factor == 1.0

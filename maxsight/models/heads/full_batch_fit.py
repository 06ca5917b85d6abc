"""Fitting a small part of a trained model on data collected from the finished model: T3's
answer MLP, T4's ``beside`` output and T5's motion refiner (``maxsight.engine.answer_refit``)."""
from typing import Callable, Iterable

import torch
from torch import Tensor, nn

from ...value_checks import is_number, is_positive_int


def check_refit_settings(steps: int, lr: float, who: str) -> None:
    """ValueError naming ``who`` unless ``steps`` is a positive int and ``lr`` > 0."""
    if not is_positive_int(steps) or not (is_number(lr) and lr > 0):
        raise ValueError(f'{who}: steps must be a positive int and lr > 0, got '
                         f'steps={steps!r}, lr={lr!r}')


def fit_full_batch(params: Iterable[nn.Parameter], loss_fn: Callable[[], Tensor], steps: int,
                   lr: float, who: str) -> float:
    """``steps`` full-batch Adam steps of ``loss_fn()`` over ``params``, in place
    (deterministic: no sampling); no gradient is left behind for the training optimiser.
    Returns the last step's loss. Settings are checked first (:func:`check_refit_settings`,
    naming ``who``)."""
    check_refit_settings(steps, lr, who)
    params = list(params)
    optimizer = torch.optim.Adam(params, lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())

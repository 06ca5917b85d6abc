"""T4's ``beside`` output: is a hazard heard beside the view, on the left and on the right?"""
from typing import Dict

import torch
from torch import Tensor, nn

from .full_batch_fit import fit_full_batch

#: hazard logit of an output never fitted (no-hazard logit 0): its P(hazard) lies under any
#: useful alert threshold (docs/model.md), so a model whose output was never fitted alerts
#: on no side
UNFITTED_HAZARD_LOGIT = -4.0


class BesideOutput(nn.Module):
    """(no hazard, hazard) logits per side from the coarsest features, read where
    :class:`~maxsight.models.layers.AudioFusion` puts a sound from beside the camera: the
    mean over rows of the outermost column on that side. One MLP (LayerNorm, ``hidden``
    ReLU units, 2 logits) serves both sides, so a flipped scene gives the flipped answer.

    It reads the features detached: its loss never bends the detector. T4 fits it after
    training on the finished model's features (:meth:`fit`, run by ``AnswerRefitHook``);
    a config that gives the head a ``loss_beside`` trains it alongside (T5, whose clips the
    refit does not read). Its weights are drawn from a forked random stream, so adding it
    leaves every other module's initial weights, and so a run's detector, as they were.
    """

    def __init__(self, channels: int, hidden: int = 32):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            self.mlp = nn.Sequential(nn.LayerNorm(channels), nn.Linear(channels, hidden),
                                     nn.ReLU(inplace=True), nn.Linear(hidden, 2))
        nn.init.zeros_(self.mlp[-1].weight)
        with torch.no_grad():
            self.mlp[-1].bias.copy_(torch.tensor([0.0, UNFITTED_HAZARD_LOGIT]))

    @staticmethod
    def features(coarsest: Tensor) -> Tensor:
        """Coarsest level [B, C, H, W] -> per side (left, right) [B, 2, C], detached."""
        rows = coarsest.detach().float().mean(dim=2)  # [B, C, W]
        return torch.stack([rows[..., 0], rows[..., -1]], 1)

    def forward(self, coarsest: Tensor) -> Tensor:
        """Coarsest level [B, C, H, W] -> logits [B, 2 sides, 2 (no hazard, hazard)]."""
        return self.mlp(self.features(coarsest))

    def fit(self, features: Tensor, labels: Tensor, steps: int = 2000, lr: float = 1e-3
            ) -> Dict[str, float]:
        """Fit the MLP, in place, on ``features`` [N, 2, C] (:meth:`features` of N images)
        and their ``labels`` [N, 2] (1: a hazard beside the view on that side): ``steps``
        full-batch Adam steps of the cross-entropy over both sides, from the current
        weights (deterministic). Returns the recall and false alerts per image at
        P(hazard) >= 0.5 (the default alert threshold) on them before and after
        (``recall_before``, ``recall_after``, ``false_alerts_before``,
        ``false_alerts_after``), the final ``loss`` and ``images`` (N)."""
        if not len(labels):
            raise ValueError('BesideOutput.fit: no image with beside_hazards to fit on')
        x, y = features.float().flatten(0, 1), labels.long().flatten()

        def scores() -> Dict[str, float]:
            with torch.no_grad():
                logits = self.mlp(x)
                alert = (logits[:, 1] >= logits[:, 0]).cpu()  # P(hazard) >= 0.5
            hazard = y.cpu().bool()
            return dict(recall=float((alert & hazard).sum()) / max(int(hazard.sum()), 1),
                        false_alerts=float((alert & ~hazard).sum()) / len(labels))

        before = scores()
        loss = fit_full_batch(self.mlp.parameters(),
                              lambda: nn.functional.cross_entropy(self.mlp(x), y), steps, lr,
                              'BesideOutput.fit')
        after = scores()
        return dict(recall_before=before['recall'], recall_after=after['recall'],
                    false_alerts_before=before['false_alerts'],
                    false_alerts_after=after['false_alerts'], loss=loss,
                    images=len(labels))

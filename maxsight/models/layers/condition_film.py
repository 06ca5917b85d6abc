"""Vision-condition conditioning of the model: FiLM and spatial priority weights."""
from typing import Sequence, Tuple

import torch
from torch import Tensor, nn

from ...conditions import VISION_CONDITIONS, centre_radius, condition_index
from ...registry import MODELS


def condition_indices(names: Sequence, device=None) -> Tensor:
    """[B] long: 0 for no condition (None or ''), else the condition's 1-based index."""
    return torch.as_tensor([condition_index(n) if n else 0 for n in names], dtype=torch.long,
                           device=device)


@MODELS.register_module()
class ConditionFiLM(nn.Module):
    """Feature-wise linear modulation by the user's vision condition (Perez et al. 2018).

    ``f * (1 + gamma_c) + beta_c`` on every pyramid level, with (gamma_c, beta_c) a learned
    embedding of condition c. Index 0 (no condition) is a fixed zero row, so a model used
    without a condition computes exactly what it would without this module.

    ``trained`` [K + 1] (saved with the weights) records which rows a training forward has
    used. In eval mode a row that was never trained is replaced by row 0: its random
    initialisation would change the features by noise, so such a condition gets its
    preprocessing alone (:func:`maxsight.evaluation.robustness.condition_evaluation` says
    so in its results).
    """

    def __init__(self, channels: int, num_conditions: int = len(VISION_CONDITIONS)):
        super().__init__()
        self.channels = channels
        self.embed = nn.Embedding(num_conditions + 1, 2 * channels, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=0.02)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        trained = torch.zeros(num_conditions + 1, dtype=torch.bool)
        trained[0] = True
        self.register_buffer('trained', trained)

    def trained_conditions(self) -> Tuple[str, ...]:
        """Names of the conditions whose embedding row has been trained."""
        return tuple(name for i, name in enumerate(VISION_CONDITIONS, 1)
                     if bool(self.trained[i]))

    def forward(self, feats: Sequence[Tensor], cond: Tensor) -> Tuple[Tensor, ...]:
        if self.training:
            self.trained[cond.unique()] = True
        else:
            cond = torch.where(self.trained[cond], cond, torch.zeros_like(cond))
        if not bool((cond > 0).any()):
            return tuple(feats)
        gamma, beta = self.embed(cond).split(self.channels, dim=1)
        return tuple(f * (1 + gamma[:, :, None, None]) + beta[:, :, None, None] for f in feats)


def spatial_priority(condition: str, cx: Tensor, cy: Tensor) -> Tensor:
    """Loss weight of objects centred at normalised (cx, cy) in [0, 1] for a condition.

    glaucoma: 1 + r (peripheral objects matter more, the user cannot see them);
    amd: 2 - r (central objects); other conditions and none: 1. r in [0, 1] is the
    distance from the image centre (1 at the corners).
    """
    r = centre_radius(cx, cy).clamp(max=1.0)
    if condition == 'glaucoma':
        return 1.0 + r
    if condition == 'amd':
        return 2.0 - r
    return torch.ones_like(cx)

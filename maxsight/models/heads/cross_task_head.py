"""T3: cross-task urgency: the urgency output reads what the class, box and distance
outputs of the same location answered."""
import math
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from ...value_checks import is_positive_int
from .multitask_dense_head import NUM_URGENCY, MultiTaskDenseHead


@MODELS.register_module()
class CrossTaskDenseHead(MultiTaskDenseHead):
    """:class:`MultiTaskDenseHead` whose urgency logits add, to the feature path's, an MLP
    over the other tasks' answers at the same location.

    Urgency depends jointly on what an object is, how far it is and where it is in view (the
    embedded data's rule is hazard prior x proximity x centrality, docs/data.md). The
    feature path must rediscover all three from convolution features; this head hands the
    urgency output the answers the other outputs already give. Per location the MLP reads
    ``answers`` [B, N, C + 5]: the class distribution p / sum(p) of the sigmoid class
    probabilities p, the predicted log distance (log metres), the predicted box centre
    (x, y) in [-1, 1] and its log width and height, both relative to the padded network
    input. The answers are detached: the urgency loss trains the MLP and never moves the
    class, box or distance outputs it reads. The MLP's last layer starts at zero, so an
    untrained head predicts what :class:`MultiTaskDenseHead` predicts (a model transferred
    from T2 starts where T2 ended).

    With ``answer_output='ordinal'`` the MLP answers one latent urgency score s per location
    instead of 4 free logits, read through a cumulative link: P(urgency >= k) =
    sigmoid(s - t_k) for k = 1, 2, 3 with learned, increasing cut points t_k, and the MLP's
    logits are the log of the 4 level probabilities these give. Urgency levels are ordered
    cuts of one score (docs/data.md), so the link spends no parameters on orderings the
    labels never take. The cut points start where s = 0 gives every level 1/4, so an
    untrained ordinal head too predicts what :class:`MultiTaskDenseHead` predicts.

    Args:
        answer_channels: width of the MLP's two hidden layers.
        answer_output: ``'logits'`` (4 urgency logits) or ``'ordinal'`` (one latent score
            and 3 cut points).
    """

    ANSWER_OUTPUTS = ('logits', 'ordinal')

    def __init__(self, *args, answer_channels: int = 64, answer_output: str = 'logits',
                 **kwargs):
        super().__init__(*args, **kwargs)
        if not is_positive_int(answer_channels):
            raise ValueError(f'CrossTaskDenseHead: answer_channels must be a positive int, '
                             f'got {answer_channels!r}')
        if answer_output not in self.ANSWER_OUTPUTS:
            raise ValueError(f'CrossTaskDenseHead: answer_output must be one of '
                             f'{self.ANSWER_OUTPUTS}, got {answer_output!r}')
        self.answer_output = answer_output
        ordinal = answer_output == 'ordinal'
        self.answer_mlp = nn.Sequential(
            nn.Linear(self.num_classes + 5, answer_channels), nn.ReLU(inplace=True),
            nn.Linear(answer_channels, answer_channels), nn.ReLU(inplace=True),
            nn.Linear(answer_channels, 1 if ordinal else NUM_URGENCY))
        nn.init.zeros_(self.answer_mlp[-1].weight)
        nn.init.zeros_(self.answer_mlp[-1].bias)
        if ordinal:
            # first cut point, then the log of the two gaps: cuts at logit(k / 4), k = 1..3
            first = -math.log(3.0)
            gap = math.log(3.0)
            self.answer_cuts = nn.Parameter(torch.tensor([first, math.log(gap), math.log(gap)]))

    def cut_points(self) -> Tensor:
        """The ordinal link's increasing cut points t_1 < t_2 < t_3 [3]."""
        first, log_gaps = self.answer_cuts[:1], self.answer_cuts[1:]
        return torch.cat([first, first + log_gaps.exp().cumsum(0)])

    def ordinal_log_probs(self, score: Tensor) -> Tensor:
        """Log probabilities [..., 4] of the urgency levels for latent scores ``score``
        [..., 1]: P(>= k) = sigmoid(score - t_k), each level the difference of two."""
        at_least = torch.sigmoid(score - self.cut_points())
        ones, zeros = torch.ones_like(score), torch.zeros_like(score)
        upper = torch.cat([ones, at_least], -1)
        lower = torch.cat([at_least, zeros], -1)
        return (upper - lower).clamp(min=1e-6).log()

    @staticmethod
    def answers(preds: Dict[str, Tensor], input_hw: Tuple[int, int]) -> Tensor:
        """Detached answers [B, N, C + 5] of ``preds`` (``cls`` [B, N, C] logits, ``box``
        [B, N, 4] xyxy pixels, ``log_dist`` [B, N]) for a padded input of ``input_hw``
        (h, w) pixels: class distribution, log distance, box centre x, y in [-1, 1], log
        box width / input width and log box height / input height."""
        prob = preds['cls'].detach().float().sigmoid()
        prob = prob / prob.sum(-1, keepdim=True).clamp(min=1e-6)
        box = preds['box'].detach().float()
        h, w = input_hw
        scale = box.new_tensor([w, h])
        centre = (box[..., :2] + box[..., 2:]) / scale - 1.0
        log_size = ((box[..., 2:] - box[..., :2]) / scale).clamp(min=1e-4).log()
        log_dist = preds['log_dist'].detach().float()[..., None]
        return torch.cat([prob, log_dist, centre, log_size], -1)

    def forward(self, feats: Sequence[Tensor]) -> Dict[str, Tensor]:
        """:meth:`MultiTaskDenseHead.forward`, with ``urgency`` [B, N, 4] plus the answer
        MLP's logits."""
        preds = super().forward(feats)
        # the finest level's extent: the padded input, rounded up to that level's stride
        stride = self.strides[0]
        input_hw = (feats[0].shape[-2] * stride, feats[0].shape[-1] * stride)
        extra = self.answer_mlp(self.answers(preds, input_hw))
        if self.answer_output == 'ordinal':
            extra = self.ordinal_log_probs(extra)
        preds['urgency'] = preds['urgency'] + extra.to(preds['urgency'].dtype)
        return preds

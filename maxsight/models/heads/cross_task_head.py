"""T3: cross-task urgency: the urgency output reads what the class, box and distance
outputs of the same location answered."""
from typing import Dict, Sequence, Tuple

import torch
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

    Args:
        answer_channels: width of the MLP's two hidden layers.
    """

    def __init__(self, *args, answer_channels: int = 64, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_positive_int(answer_channels):
            raise ValueError(f'CrossTaskDenseHead: answer_channels must be a positive int, '
                             f'got {answer_channels!r}')
        self.answer_mlp = nn.Sequential(
            nn.Linear(self.num_classes + 5, answer_channels), nn.ReLU(inplace=True),
            nn.Linear(answer_channels, answer_channels), nn.ReLU(inplace=True),
            nn.Linear(answer_channels, NUM_URGENCY))
        nn.init.zeros_(self.answer_mlp[-1].weight)
        nn.init.zeros_(self.answer_mlp[-1].bias)

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
        preds['urgency'] = preds['urgency'] + extra.to(preds['urgency'].dtype)
        return preds

"""T3: cross-task urgency: the urgency output reads what the class, box and distance
outputs of the same location answered."""
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

    With ``learn_from_true_answers`` the urgency loss is the mean of two terms: the usual
    one, and the same logits with the MLP reading the matched ground truth's answers (its
    class one-hot, true log distance and true box) instead of the predicted ones. Early in
    training the predicted answers are noise, so the MLP alone hardly learns how urgency
    composes from class, distance and position; the true answers teach it that directly,
    while the first term keeps it used to the noise it meets at test time.

    Args:
        answer_channels: width of the MLP's two hidden layers.
        learn_from_true_answers: add the loss term over the true answers.
    """

    def __init__(self, *args, answer_channels: int = 64, learn_from_true_answers: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.learn_from_true_answers = bool(learn_from_true_answers)
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
    def answer_vector(class_dist: Tensor, log_dist: Tensor, box: Tensor,
                      input_hw: Tuple[int, int]) -> Tensor:
        """Answers [..., C + 5] from a class distribution [..., C], a log distance [...]
        (log metres) and a box [..., 4] (xyxy pixels) in a padded input of ``input_hw``
        (h, w) pixels: the distribution, the log distance, the box centre x, y in [-1, 1],
        log box width / input width and log box height / input height."""
        h, w = input_hw
        scale = box.new_tensor([w, h])
        centre = (box[..., :2] + box[..., 2:]) / scale - 1.0
        log_size = ((box[..., 2:] - box[..., :2]) / scale).clamp(min=1e-4).log()
        return torch.cat([class_dist, log_dist[..., None], centre, log_size], -1)

    @classmethod
    def answers(cls, preds: Dict[str, Tensor], input_hw: Tuple[int, int]) -> Tensor:
        """Detached answers [B, N, C + 5] (:meth:`answer_vector`) of ``preds`` (``cls``
        [B, N, C] logits, ``box`` [B, N, 4] xyxy pixels, ``log_dist`` [B, N]): the class
        distribution is p / sum(p) of the sigmoid class probabilities p."""
        prob = preds['cls'].detach().float().sigmoid()
        prob = prob / prob.sum(-1, keepdim=True).clamp(min=1e-6)
        return cls.answer_vector(prob, preds['log_dist'].detach().float(),
                                 preds['box'].detach().float(), input_hw)

    @staticmethod
    def input_hw(feats: Sequence[Tensor], strides: Sequence[int]) -> Tuple[int, int]:
        """The padded input's (h, w) pixels: the finest level's size times its stride."""
        return feats[0].shape[-2] * strides[0], feats[0].shape[-1] * strides[0]

    def forward(self, feats: Sequence[Tensor]) -> Dict[str, Tensor]:
        """:meth:`MultiTaskDenseHead.forward`, with ``urgency`` [B, N, 4] plus the answer
        MLP's logits."""
        preds = super().forward(feats)
        input_hw = self.input_hw(feats, self.strides)
        extra = self.answer_mlp(self.answers(preds, input_hw)).to(preds['urgency'].dtype)
        if self.learn_from_true_answers and self.training:
            # what the loss needs to swap the predicted answers for the true ones
            preds['urgency_from_answers'] = extra
            preds['input_hw'] = preds['urgency'].new_tensor(input_hw).expand(len(extra), 2)
        preds['urgency'] = preds['urgency'] + extra
        return preds

    def urgency_loss(self, preds: Dict[str, Tensor], targets: Dict[str, Tensor]) -> Tensor:
        """:meth:`MultiTaskDenseHead.urgency_loss`; with ``learn_from_true_answers``, its
        mean with the loss of the same positives' logits whose MLP term reads the matched
        ground truth's answers (one-hot class, log of ``gt_distance_m`` clamped to 0.1 m as
        the distance loss does, ``gt_bboxes``)."""
        loss = super().urgency_loss(preds, targets)
        if 'urgency_from_answers' not in preds:
            return loss
        bi, pi = targets['pos_batch'], targets['pos_index']
        features_only = (preds['urgency'] - preds['urgency_from_answers'])[bi, pi]
        h, w = (int(v) for v in preds['input_hw'][0])
        true = self.answer_vector(
            F.one_hot(targets['gt_labels'], self.num_classes).float(),
            targets['gt_distance_m'].float().clamp(min=0.1).log(),
            targets['gt_bboxes'].float(), (h, w))
        logits = features_only + self.answer_mlp(true).to(features_only.dtype)
        return 0.5 * (loss + self.loss_urgency(logits, targets['gt_urgency']))

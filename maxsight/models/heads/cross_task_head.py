"""T3: cross-task urgency: the urgency output reads what the class, box and distance
outputs of the same location answered."""
from typing import Dict, Sequence, Tuple

import torch
from torch import Tensor, nn

from ...registry import MODELS
from ...value_checks import is_positive_int
from .full_batch_fit import fit_full_batch
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

    The answers keep changing while the other outputs learn, so the MLP trained alongside
    them ends underfitted to the answers the model finally gives; :meth:`refit_answer_mlp`
    fits it again on them after training (:class:`~maxsight.engine.hooks.AnswerRefitHook`,
    docs/tiers.md).

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

    def _input_hw(self, feats: Sequence[Tensor]) -> Tuple[int, int]:
        """The finest level's extent: the padded input, rounded up to that level's stride."""
        stride = self.strides[0]
        return feats[0].shape[-2] * stride, feats[0].shape[-1] * stride

    def forward(self, feats: Sequence[Tensor]) -> Dict[str, Tensor]:
        """:meth:`MultiTaskDenseHead.forward`, with ``urgency`` [B, N, 4] plus the answer
        MLP's logits."""
        preds = super().forward(feats)
        extra = self.answer_mlp(self.answers(preds, self._input_hw(feats)))
        preds['urgency'] = preds['urgency'] + extra.to(preds['urgency'].dtype)
        return preds

    @torch.no_grad()
    def answer_fit_data(self, feats: Sequence[Tensor], data_samples: Sequence
                        ) -> Tuple[Tensor, Tensor, Tensor]:
        """What :meth:`refit_answer_mlp` fits on, at the P predictions matched to
        ``data_samples``' objects (as the loss matches them): the answers [P, C + 5], the
        feature path's urgency logits [P, 4] (the MLP's share left out) and the annotated
        urgency [P] (long)."""
        preds = super().forward(feats)
        answers = self.answers(preds, self._input_hw(feats))
        t = self.get_targets(preds, data_samples)
        bi, pi = t['pos_batch'], t['pos_index']
        return answers[bi, pi], preds['urgency'][bi, pi].float(), t['gt_urgency'].long()

    def refit_answer_mlp(self, answers: Tensor, feature_logits: Tensor, urgency: Tensor,
                         steps: int = 2000, lr: float = 1e-3) -> Dict[str, float]:
        """Fit the answer MLP, in place, so that ``feature_logits`` [P, 4] + MLP(``answers``
        [P, C + 5]) predicts ``urgency`` [P]: ``steps`` full-batch Adam steps of the urgency
        cross-entropy from the current weights (deterministic: no sampling). Returns the
        share of the P called right before and after (``acc_before``, ``acc_after``) and
        the final ``loss``."""
        if not len(urgency):
            raise ValueError('refit_answer_mlp: no matched predictions to fit on (the data '
                             'has no annotated objects)')
        answers, feature_logits = answers.float(), feature_logits.float()
        mlp = self.answer_mlp

        def accuracy() -> float:
            with torch.no_grad():
                logits = feature_logits + mlp(answers)
                return float((logits.argmax(1) == urgency).float().mean())

        before = accuracy()
        loss = fit_full_batch(
            mlp.parameters(),
            lambda: nn.functional.cross_entropy(feature_logits + mlp(answers), urgency),
            steps, lr, 'refit_answer_mlp')
        return dict(acc_before=before, acc_after=accuracy(), loss=loss)

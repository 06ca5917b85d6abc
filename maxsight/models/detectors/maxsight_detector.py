"""The MaxSight detector: backbone -> neck (FPN) -> optional encoder -> multi-task head."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor

from ...registry import MODELS
from ...structures import DetDataSample
from ..layers.condition_film import condition_indices


@MODELS.register_module()
class MaxSightDetector(BaseModel):
    """Single-stage multi-task detector.

    Args:
        backbone, neck, bbox_head: MODELS configs.
        encoder: optional MODELS config applied to the neck outputs (the T2 hybrid
            transformer encoder over the pyramid levels).
        condition_film: optional MODELS config (``ConditionFiLM``) modulating the neck
            outputs by the vision condition in each sample's metainfo (``condition``).
        pyramid_attention: optional MODELS config applied to the neck outputs (T1
            channel + spatial attention).
        audio_fusion: optional MODELS config (T4 ``AudioFusion``); the audio features come
            from each data sample's ``audio`` field (``LoadAudioFeatures`` in the pipeline).
        balancer: MODELS config of the task balancer (default: static weights 1).
        aux_head: optional overrides (e.g. ``dict(stacked_convs=1)``) of a copy of
            ``bbox_head`` trained as an auxiliary head on the intermediate pyramid (the neck
            output, before attention, audio fusion and the encoder): deep supervision of the
            FPN. Its losses are logged as ``aux_<name>`` x ``aux_weight`` and belong to the
            task of ``<name>``. Training only; prediction uses ``bbox_head``.
        data_preprocessor: MODELS config (normalise, pad, stack).
        channels_last: keep the 4-D weights (hence the convolution outputs) in channels-last
            memory layout, which oneDNN (CPU) and cuDNN convolve faster: 0.432 -> 0.383 s per
            T2 training step on the 2-core CPU (docs/benchmarks.md). Same parameters and
            state-dict keys; results equal up to float rounding.

    ``forward(inputs [B, 3, H, W], data_samples, mode)`` with mode ``loss`` (dict of
    losses), ``predict`` (data samples with ``pred_instances``) or ``tensor`` (raw head
    outputs).
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 encoder: Optional[dict] = None, condition_film: Optional[dict] = None,
                 pyramid_attention: Optional[dict] = None, audio_fusion: Optional[dict] = None,
                 balancer: Optional[dict] = None, aux_head: Optional[dict] = None,
                 aux_weight: float = 0.5,
                 data_preprocessor: Optional[dict] = None, channels_last: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or
                         dict(type='DetDataPreprocessor'), init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.condition_film = MODELS.build(condition_film) if condition_film else None
        self.pyramid_attention = MODELS.build(pyramid_attention) if pyramid_attention else None
        self.audio_fusion = MODELS.build(audio_fusion) if audio_fusion else None
        self.balancer = MODELS.build(balancer or dict(type='StaticWeights'))
        self.encoder = MODELS.build(encoder) if encoder else None
        self.bbox_head = MODELS.build(bbox_head)
        self.aux_head = None
        if aux_head is not None:
            aux_cfg = copy.deepcopy(dict(bbox_head))
            aux_cfg.update(aux_head)
            self.aux_head = MODELS.build(aux_cfg)
        self.aux_weight = aux_weight
        self.channels_last = channels_last
        self._apply_memory_format()

    def _apply_memory_format(self) -> None:
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """mmengine's initialisation, then the configured memory layout again (an
        initialiser may replace a weight tensor)."""
        super().init_weights()
        self._apply_memory_format()

    def extract_feat(self, inputs: Tensor,
                     data_samples: Optional[Sequence[DetDataSample]] = None
                     ) -> Tuple[Tensor, ...]:
        """Pyramid features, finest first: [B, C, H / s, W / s] per level."""
        return self.refine_feat(self.intermediate_feat(inputs, data_samples), inputs,
                                data_samples)

    def intermediate_feat(self, inputs: Tensor,
                          data_samples: Optional[Sequence[DetDataSample]] = None
                          ) -> Tuple[Tensor, ...]:
        """Neck output (condition-modulated), the auxiliary head's input."""
        feats = self.neck(self.backbone(inputs))
        if self.condition_film is not None and data_samples:
            cond = condition_indices([s.metainfo.get('condition') for s in data_samples],
                                     device=inputs.device)
            feats = self.condition_film(feats, cond)
        return feats

    def refine_feat(self, feats: Tuple[Tensor, ...], inputs: Tensor,
                    data_samples: Optional[Sequence[DetDataSample]] = None
                    ) -> Tuple[Tensor, ...]:
        """Attention, audio fusion and the encoder on top of :meth:`intermediate_feat`."""
        if self.pyramid_attention is not None:
            feats = self.pyramid_attention(feats)
        if self.audio_fusion is not None:
            feats = self.audio_fusion(feats, self._audio(data_samples, inputs))
        if self.encoder is not None:
            feats = self.encoder(feats)
        return feats

    @staticmethod
    def _audio(data_samples: Optional[Sequence[DetDataSample]], inputs: Tensor) -> Tensor:
        if not data_samples or any('audio' not in s for s in data_samples):
            raise ValueError('this model fuses audio: add dict(type=\'LoadAudioFeatures\') to '
                             'the pipeline (every data sample needs an audio field)')
        return torch.stack([s.audio for s in data_samples]).to(inputs.device)

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper) -> Dict[str, Tensor]:
        """Preprocess, compute the task losses, let the balancer update the parameters."""
        return self.balanced_step(self, data, optim_wrapper)

    def balanced_step(self, forward_model: torch.nn.Module, data: Union[dict, tuple, list],
                      optim_wrapper) -> Dict[str, Tensor]:
        """One training step whose forward runs through ``forward_model`` (this model, or
        the DDP wrapper around it so gradients are synchronised). A non-finite task loss
        skips the update: parameters, buffers and optimiser state stay as they were."""
        buffers = {k: b.clone() for k, b in self.named_buffers()}  # BN statistics etc.
        with optim_wrapper.optim_context(forward_model):
            data = self.data_preprocessor(data, True)
            losses = forward_model._run_forward(data, mode='loss')
        return self.balancer.guarded_step(self, losses, optim_wrapper, buffers)

    def aux_losses(self, feats: Tuple[Tensor, ...], data_samples: Sequence[DetDataSample],
                   keep: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Auxiliary head losses on intermediate features, ``aux_``-prefixed and weighted;
        ``keep`` [N] bool selects the images that have targets (clips: real frames)."""
        preds = self.aux_head(feats)
        if keep is not None:
            preds = {k: (v if k == 'points' else v[keep]) for k, v in preds.items()}
        losses = self.aux_head.loss_by_preds(preds, data_samples)
        return {f'aux_{k}': self.aux_weight * v for k, v in losses.items() if 'loss' in k}

    def forward(self, inputs: Tensor, data_samples: Optional[Sequence[DetDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[DetDataSample],
                                               Dict[str, Tensor]]:
        intermediate = self.intermediate_feat(inputs, data_samples)
        feats = self.refine_feat(intermediate, inputs, data_samples)
        if mode == 'loss':
            losses = self.bbox_head.loss(feats, data_samples)
            if self.aux_head is not None:
                losses.update(self.aux_losses(intermediate, data_samples))
            return losses
        if mode == 'predict':
            return self.bbox_head.predict(feats, data_samples)
        if mode == 'tensor':
            return self.bbox_head(feats)
        raise ValueError(f"MaxSightDetector.forward: mode must be 'loss', 'predict' or "
                         f"'tensor', got {mode!r}")

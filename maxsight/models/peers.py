"""Reference detectors the benchmarks compare MaxSight with (not MaxSight components)."""
from typing import List, Tuple

import torch
from torch import nn


def fcos_resnet18_fpn(num_classes: int, img_hw: Tuple[int, int]) -> nn.Module:
    """torchvision FCOS with a ResNet-18 FPN backbone (P3-P7, 256 channels), random
    initialisation (no download). Its transform keeps images of size ``img_hw`` as they
    are (min_size / max_size = the shorter / longer side). Evaluated like MaxSight: up to
    100 detections per image above score 0.05 (torchvision's default threshold, 0.2, would
    hide an undertrained model's detections from COCO mAP).

    Trainable BatchNorm, as torchvision's own ``fcos_resnet50_fpn`` uses when it is not
    loading pretrained weights: ``resnet_fpn_backbone``'s default, FrozenBatchNorm2d, is
    meant for pretrained statistics and with random initialisation freezes every BN as an
    identity (mean 0, variance 1), i.e. a ResNet-18 trained from scratch without
    normalisation.

    The box-distance layer starts with bias 1 (distances of one anchor size on each side)
    instead of torchvision's 0: at 0 its ReLU zeroes about half of the distances, a box with
    a zero distance on two opposite sides has no area, GIoU gives it no gradient to grow,
    and its enclosing-box penalty pushes the other distances down, so from scratch every
    distance can reach 0 and never pass a gradient again (docs/benchmarks.md, the 35-minute
    peer)."""
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
    from torchvision.ops.feature_pyramid_network import LastLevelP6P7
    backbone = resnet_fpn_backbone(backbone_name='resnet18', weights=None,
                                   trainable_layers=5, returned_layers=[2, 3, 4],
                                   extra_blocks=LastLevelP6P7(256, 256),
                                   norm_layer=nn.BatchNorm2d)
    h, w = img_hw
    model = FCOS(backbone, num_classes=num_classes, min_size=min(h, w), max_size=max(h, w),
                 score_thresh=0.05, detections_per_img=100)
    nn.init.constant_(model.head.regression_head.bbox_reg.bias, 1.0)
    return model


def peer_inputs(batch: dict, device: torch.device) -> Tuple[List[torch.Tensor], List[dict]]:
    """A MaxSight packed batch -> torchvision detector images (float 0-1, [3, H, W]) and
    targets (``boxes`` xyxy pixels of the resized image, ``labels`` contiguous)."""
    imgs = [x.to(device).float() / 255 for x in batch['inputs']]
    targets = [dict(boxes=s.gt_instances.bboxes.to(device).float(),
                    labels=s.gt_instances.labels.to(device).long())
               for s in batch['data_samples']]
    return imgs, targets

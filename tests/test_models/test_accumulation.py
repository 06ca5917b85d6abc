"""k accumulated steps of batch b equal one step of batch k*b (static weights)."""
import copy

import torch
from mmengine.optim import OptimWrapper
from mmengine.structures import InstanceData

from maxsight.models.balancers import StaticWeights
from maxsight.models.heads import MultiTaskDenseHead
from maxsight.structures import DetDataSample


def _samples(n):
    g = torch.Generator().manual_seed(5)
    out = []
    for i in range(n):  # one object per image: the loss normalisers scale with the batch
        x, y = torch.randint(0, 40, (2,), generator=g).float().tolist()
        s = DetDataSample(metainfo=dict(img_shape=(64, 64), scene_urgency=i % 4))
        s.gt_instances = InstanceData(bboxes=torch.tensor([[x, y, x + 20, y + 16]]),
                                      labels=torch.tensor([i % 3]),
                                      distance_m=torch.tensor([2.0 + i]),
                                      distance_zone=torch.tensor([i % 3]),
                                      urgency=torch.tensor([i % 4]))
        out.append(s)
    return out


def test_accumulated_microbatches_equal_one_big_batch():
    torch.manual_seed(0)
    head = MultiTaskDenseHead(num_classes=3, in_channels=16, feat_channels=16,
                              stacked_convs=1, strides=(8, 16),
                              matcher=dict(type='HungarianMatcher'), hazard_loss_weight=1.0,
                              test_cfg=dict(nms_iou_thr=None))
    feats = [torch.randn(4, 16, 8, 8), torch.randn(4, 16, 4, 4)]
    samples = _samples(4)
    big, small = head, copy.deepcopy(head)
    start = copy.deepcopy(head.state_dict())
    balancer = StaticWeights()
    balancer.train_step(big, big.loss(feats, samples),
                        OptimWrapper(torch.optim.SGD(big.parameters(), lr=0.1)))
    wrapper = OptimWrapper(torch.optim.SGD(small.parameters(), lr=0.1), accumulative_counts=2)
    wrapper.initialize_count_status(small, 0, 2)
    for half in (slice(0, 2), slice(2, 4)):
        balancer.train_step(small, small.loss([f[half] for f in feats], samples[half]), wrapper)
    for (name, a), b in zip(big.named_parameters(), small.parameters()):
        assert torch.allclose(a, b, atol=1e-6), name
    moved = sum(float((big.state_dict()[k] - v).abs().sum()) for k, v in start.items())
    assert moved > 1e-3  # the step really changed the weights

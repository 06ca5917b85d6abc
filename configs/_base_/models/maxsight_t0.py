# T0: CNN backbone + FPN + dense multi-task head, static loss weights. The tier configs
# add their modules to this model, each to the tier below it, and keep its training
# recipe, so a tier's gain over the one below is its module's (docs/tiers.md).
model = dict(
    type='MaxSightDetector',
    data_preprocessor=dict(type='DetDataPreprocessor', pad_size_divisor=32),
    # oneDNN's fast convolution layout
    # (docs/benchmarks.md#profile-of-a-training-step-and-the-overheads-removed)
    channels_last=True,
    backbone=dict(type='LiteResNet', widths=(32, 64, 128, 256), depths=(1, 1, 2, 1),
                  stem_channels=24, out_indices=(1, 2, 3)),
    neck=dict(type='FPN', in_channels=[64, 128, 256], out_channels=64),
    # vision-condition FiLM: identity unless a condition is set (--condition NAME)
    condition_film=dict(type='ConditionFiLM', channels=64),
    balancer=dict(type='StaticWeights'),
    bbox_head=dict(
        type='MultiTaskDenseHead',
        num_classes=None,  # None: read from the annotation file by the runner
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        strides=(8, 16, 32),
        # one-to-4 Hungarian matching: more positives per step, the duplicates removed by
        # NMS at test time (docs/benchmarks.md#faster-convergence-one-to-4-matching)
        matcher=dict(type='HungarianMatcher', cost_class=2.0, cost_bbox=5.0, cost_giou=2.0,
                     cost_outside=1.0, num_matches_per_gt=4),
        # a missed hazard (urgency >= 2) costs the user more than a missed bench
        hazard_loss_weight=3.0,
        # focal alpha 0.5: positives weigh as much as negatives, better in make train's budget
        # (docs/benchmarks.md#summary-make-train-against-the-peer)
        loss_cls=dict(type='FocalLoss', alpha=0.5, gamma=2.0, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_giou=dict(type='GIoULoss', loss_weight=2.0),
        loss_obj=dict(type='QualityFocalLoss', beta=2.0, loss_weight=1.0),
        loss_zone=dict(type='CrossEntropyLoss', loss_weight=0.5),
        loss_distance=dict(type='L1Loss', loss_weight=0.5),
        loss_urgency=dict(type='CrossEntropyLoss', loss_weight=0.5),
        loss_scene=dict(type='CrossEntropyLoss', loss_weight=0.2),
        # test_cfg: the head's defaults (MultiTaskDenseHead.DEFAULT_TEST_CFG), stated here,
        # in the order they apply: score threshold, the best nms_pre candidates, class-wise
        # NMS for one-to-4 training, COCO's 100 detections; the score's IoU exponent and two
        # cost-sensitive hazard rules (docs/benchmarks.md#hazard-recall)
        test_cfg=dict(score_thr=0.05, nms_pre=1000, nms_iou_thr=0.7, max_per_img=100,
                      hazard_prob_thr=0.1, obj_score_exponent=0.25,
                      hazard_score_exponent=0.85)))

# MaxSight T5: T4 on clips [B, T, C, H, W]: temporal attention over frames, urgency and
# distance refined from the clip's motion, temporal consistency loss; embedded clip splits.
_base_ = ['./t4_cross_modal.py']

model = dict(
    type='TemporalDetector',
    data_preprocessor=dict(type='ClipDataPreprocessor', pad_size_divisor=32),
    temporal=dict(type='TemporalAttention', channels=64, num_heads=4, ffn_channels=128),
    motion=dict(type='ClipMotionRefiner', hidden=64, slope_scale=10.0, candidates=20,
                iou_thr=0.5, fit_distance=True),
    loss_temporal_weight=0.5,
    # no refit reads clips: the beside output trains alongside (on detached features)
    bbox_head=dict(loss_beside=dict(type='CrossEntropyLoss', loss_weight=0.2)),
)
clip_length = 4
# temporal modules learn from clips alone: 800 distinct clips (3200 frames), not the
# base's 200 (docs/tiers.md#measured-2026-12-06-fourth-the-clip-stage-on-800-training-clips)
embedded_dataset = dict(num_train_clips=800, clip_length=clip_length)
# clip_collate keeps each clip's frame samples together (pseudo_collate would transpose)
train_dataloader = dict(
    batch_size=4,  # clips of clip_length frames
    collate_fn=dict(type='maxsight.clip_collate'),
    dataset=dict(ann_file='annotations/train_clips.json', clip_length=clip_length))
val_dataloader = dict(
    batch_size=4,
    collate_fn=dict(type='maxsight.clip_collate'),
    dataset=dict(ann_file='annotations/val_clips.json', clip_length=clip_length))
test_dataloader = val_dataloader
# the refit (inherited AnswerRefitHook) fits T5's motion refiner on the finished
# predictions of the training clips, as T3 and T4 fit their answer MLP
# metrics receive one result per real frame, not per clip
val_cfg = dict(type='ClipValLoop')
test_cfg = dict(type='ClipTestLoop')

# MaxSight T5: T4 on clips [B, T, C, H, W]: temporal attention over frames + temporal
# consistency loss. Trains and evaluates on the embedded clip splits (4 frames per clip).
_base_ = [
    '_base_/datasets/synthetic_scenes.py',
    '_base_/models/maxsight_t0.py',
    '_base_/schedules/adamw_cosine.py',
    '_base_/default_runtime.py',
]
model = dict(
    type='TemporalDetector',
    data_preprocessor=dict(type='ClipDataPreprocessor', pad_size_divisor=32),
    temporal=dict(type='TemporalAttention', channels=64, num_heads=4, ffn_channels=128),
    loss_temporal_weight=0.5,
    # T1: channel + spatial attention on the pyramid; GradNorm task balancing
    pyramid_attention=dict(type='PyramidAttention', channels=64),
    balancer=dict(type='GradNorm', alpha=1.5, lr=0.025, shared_params=['pyramid_attention'],
                  update_interval=4),
    # T2: transformer encoder over the coarse (stride 16, 32) levels
    encoder=dict(type='CoarseLevelEncoder', channels=64, levels=(1, 2), num_layers=1,
                 num_heads=4, ffn_channels=128),
    # T3: cross-task attention in the head
    bbox_head=dict(type='CrossTaskDenseHead', cross_heads=4),
    # T4: per-image audio features fused by cross-attention and FiLM
    audio_fusion=dict(type='AudioFusion', channels=64, n_mels=32, levels=(1, 2)),
)
# T4 reads each image's audio features (LoadAudioFeatures) into the sample
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadAudioFeatures'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadAudioFeatures'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='PackDetInputs'),
]
clip_length = 4
# clip_collate keeps each clip's frame samples together (pseudo_collate would transpose)
train_dataloader = dict(
    batch_size=4,  # clips: 16 frames per batch
    collate_fn=dict(type='maxsight.clip_collate'),
    dataset=dict(ann_file='annotations/train_clips.json', clip_length=clip_length,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    collate_fn=dict(type='maxsight.clip_collate'),
    dataset=dict(ann_file='annotations/val_clips.json', clip_length=clip_length,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
# metrics receive one result per real frame, not per clip
val_cfg = dict(type='ClipValLoop')
test_cfg = dict(type='ClipTestLoop')

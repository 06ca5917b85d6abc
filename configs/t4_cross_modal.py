# MaxSight T4: T3 + audio branch fused by cross-attention and FiLM.
_base_ = [
    '_base_/datasets/synthetic_scenes.py',
    '_base_/models/maxsight_t0.py',
    '_base_/schedules/adamw_cosine.py',
    '_base_/default_runtime.py',
]
model = dict(
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# MaxSight T1: T0 + channel/spatial attention on the pyramid + GradNorm.
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
)

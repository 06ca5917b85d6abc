# MaxSight T2 (the default): T1 + hybrid CNN + transformer encoder over the coarse levels.
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
)
# the GradNorm asymmetry alpha joins the default search space (tools/automl.py)
automl = dict(search_space={
    'model.balancer.alpha': dict(type='float', low=0.5, high=2.5)})

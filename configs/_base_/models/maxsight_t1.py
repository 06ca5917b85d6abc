# T1's model: T0 + channel/spatial attention on the pyramid + GradNorm task balancing.
_base_ = ['./maxsight_t0.py']

model = dict(
    pyramid_attention=dict(type='PyramidAttention', channels=64),
    balancer=dict(type='GradNorm', alpha=1.5, lr=0.025, shared_params=['pyramid_attention'],
                  update_interval=4),
)

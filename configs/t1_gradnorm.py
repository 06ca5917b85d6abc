# T1 balanced by GradNorm instead of static weights: the task weights follow the gradient
# norms at the last shared layer, the pyramid attention (docs/model.md).
_base_ = ['./t1_attention.py']

model = dict(balancer=dict(_delete_=True, type='GradNorm', alpha=1.5, lr=0.025,
                           shared_params=['pyramid_attention'], update_interval=4))

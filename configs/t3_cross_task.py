# MaxSight T3: T2 + cross-task attention (distance/urgency features attend to class/box).
_base_ = ['./t2_default.py']

model = dict(
    # departs from T2: keeps T1's focal alpha 0.25 and GradNorm, the settings T3's
    # figures were measured with (docs/tiers.md#measured-with-the-current-defaults)
    bbox_head=dict(type='CrossTaskDenseHead', cross_heads=4, loss_cls=dict(alpha=0.25)),
    balancer=dict(_delete_=True, type='GradNorm', alpha=1.5, lr=0.025,
                  shared_params=['pyramid_attention'], update_interval=4),
)

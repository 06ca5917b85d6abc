# AdamW with linear warm-up then cosine decay, 10 epochs, validation every 5 epochs: sized
# so that `make train` trains T2 within 10 minutes on a 2-core CPU
# (docs/benchmarks.md#summary-make-train-against-the-peer).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# GuardedOptimWrapper: an update whose gradients are not finite is skipped (and counted)
optim_wrapper = dict(
    type='GuardedOptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

# no `end` / `T_max`: the cosine ends with train_cfg.max_epochs, whatever it is set to
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=150),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=2e-5,
         convert_to_iter_based=True),
]

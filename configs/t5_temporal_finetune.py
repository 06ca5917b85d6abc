# MaxSight T5 grown from a trained T2 (`make train` first, or point load_from at your own
# T0-T4 checkpoint): the runner transfers every shape-compatible weight and logs the
# report; a fine-tune schedule keeps the transferred weights from being washed out
# (docs/tiers.md#measured-t5-from-t2-against-t5-from-scratch).
_base_ = ['./t5_temporal.py']

load_from = 'work_dirs/t2_default/epoch_10.pth'

# the motion refiner starts untrained inside a fine-tune: it learns at the from-scratch rate
optim_wrapper = dict(optimizer=dict(lr=2e-4),
                     paramwise_cfg=dict(custom_keys={'motion': dict(lr_mult=10.0)}))
train_cfg = dict(max_epochs=2, val_interval=1)  # 400 iterations of 4 clips
# no warm-up; the cosine ends with train_cfg.max_epochs
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=2e-6,
                        convert_to_iter_based=True)]

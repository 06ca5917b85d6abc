# MaxSight T5 grown from a trained T2: every shape-compatible weight is transferred at start
# (tools/train.py prints the transfer report), the modules T3-T5 add start at zero so the
# transferred model computes exactly what T2 did, and the schedule is a fine-tune one
# (10x lower learning rate, no warm-up) so the transferred weights are not washed out.
# Train T2 first (`make train`), or point load_from at your own T0-T4 checkpoint.
_base_ = ['t5_temporal.py']

load_from = 'work_dirs/t2_default/epoch_10.pth'

optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_cfg = dict(val_interval=1)  # the per-epoch curve of the transfer experiment
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end={{_base_.max_epochs}},
         T_max={{_base_.max_epochs}}, eta_min=2e-6, convert_to_iter_based=True),
]

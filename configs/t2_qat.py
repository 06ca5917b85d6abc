# Quantisation-aware training of T2 from the float T2 checkpoint (`make train` first):
# the backbone + FPN trunk trains with fake int8 quantisation (x86 scheme) for 3 epochs at
# a fine-tune learning rate; tools/export.py converts it to int8 and measures it against
# the float model. See docs/research_tools.md.
_base_ = ['t2_default.py']

quantization = dict(mode='qat', backend='x86', calib_batches=8,
                    float_checkpoint='work_dirs/t2_default/epoch_10.pth')
load_from = quantization['float_checkpoint']

max_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-6, convert_to_iter_based=True),
]

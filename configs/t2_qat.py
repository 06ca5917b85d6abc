# Quantisation-aware training of T2 from the float T2 checkpoint (`make train` first): the
# backbone + FPN trunk trains with fake int8 quantisation (x86 scheme) at a fine-tune
# learning rate; tools/export.py converts it to int8 (docs/research_tools.md).
_base_ = ['./t2_default.py']

quantization = dict(mode='qat', backend='x86', calib_batches=8,
                    float_checkpoint='work_dirs/t2_default/epoch_10.pth')
load_from = quantization['float_checkpoint']

train_cfg = dict(max_epochs=3, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
# no warm-up; the cosine ends with train_cfg.max_epochs
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-6,
                        convert_to_iter_based=True)]

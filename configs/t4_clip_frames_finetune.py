# MaxSight T4 fine-tuned on the frames of the clip splits, one frame at a time: the
# single-frame control of T5 in the tier ladder. Same frames per iteration (16), schedule
# and starting checkpoint as configs/t5_temporal_finetune.py, so the difference between
# the two is T5's temporal attention (docs/tiers.md#the-clip-stage-t5-against-t4).
_base_ = ['./t4_cross_modal.py']

load_from = 'work_dirs/t4_cross_modal/epoch_10.pth'
embedded_dataset = dict(num_train_clips=800)  # the same clips as T5's

train_dataloader = dict(batch_size=16, dataset=dict(ann_file='annotations/train_clips.json'))
val_dataloader = dict(dataset=dict(ann_file='annotations/val_clips.json'))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=2e-4))
# as T5, whose control this is, it is refitted after training (inherited AnswerRefitHook):
# T4's answer MLP and beside output on the clip frames it trained on
train_cfg = dict(max_epochs=2, val_interval=1)  # 400 iterations of 16 frames
# no warm-up; the cosine ends with train_cfg.max_epochs
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=2e-6,
                        convert_to_iter_based=True)]

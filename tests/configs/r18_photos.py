# The photo recipe (configs/t2_r50_coco_format.py) with a ResNet-18 and narrow layers, for
# the CPU scale test; data paths and the pretrained file come from --cfg-options.
_base_ = ['../../configs/t2_r50_coco_format.py']

channels = 64
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[128, 256, 512], out_channels=channels),
    condition_film=dict(channels=channels),
    pyramid_attention=dict(channels=channels),
    encoder=dict(channels=channels, num_heads=4, ffn_channels=2 * channels),
    bbox_head=dict(in_channels=channels, feat_channels=channels, stacked_convs=2,
                   # every candidate reaches the file: a few iterations score low
                   test_cfg=dict(score_thr=0.0)),
)
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=2)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
# the after-training hooks are checked elsewhere (tests/test_tools/test_train_test_resume.py)
default_hooks = dict(operating_point=None, visualization=None, training_plots=None)

# A tiny T2 for the test suite: small images, narrow model, few iterations.
_base_ = ['../../configs/t2_default.py']

img_scale = (128, 96)
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5), dict(type='PackDetInputs')]))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='Resize', scale=img_scale, keep_ratio=True), dict(type='PackDetInputs')]))
test_dataloader = val_dataloader
model = dict(
    backbone=dict(widths=(16, 24, 32, 48), depths=(1, 1, 1, 1), stem_channels=16),
    neck=dict(in_channels=[24, 32, 48], out_channels=32),
    condition_film=dict(channels=32),
    pyramid_attention=dict(channels=32),
    encoder=dict(channels=32, ffn_channels=64),
    # keep every top-100 detection: the tests check the mechanics on barely trained models
    bbox_head=dict(in_channels=32, feat_channels=32, stacked_convs=1,
                   test_cfg=dict(max_per_img=100, score_thr=0.0)))
train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=4)]
# the after-training hooks (calibration, pictures, plots) are tested where they are named
# (tests/test_tools/test_train_test_resume.py turns them on); elsewhere they only cost time
default_hooks = dict(logger=dict(interval=1), operating_point=None, visualization=None,
                     training_plots=None)

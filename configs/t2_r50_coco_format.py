# T2 with an ImageNet ResNet-50 (torchvision weights from a local file) on your own
# COCO-format photographs, sized for one GPU: docs/data.md#your-own-photographs.
_base_ = [
    '_base_/datasets/coco_format.py',
    '_base_/models/maxsight_t2.py',
    '_base_/schedules/adamw_cosine.py',
    '_base_/default_runtime.py',
]

# torch.save(torchvision.models.resnet50(weights='IMAGENET1K_V2').state_dict(), PATH) on a
# machine with internet access; nothing downloads here. None trains from scratch.
pretrained = 'checkpoints/resnet50_torchvision.pth'
channels = 256
model = dict(
    # stem and first stage frozen, BatchNorm statistics kept: ImageNet features with
    # small per-GPU batches, as mmdetection trains its ResNet detectors
    backbone=dict(_delete_=True, type='TorchvisionResNet', depth=50, out_indices=(1, 2, 3),
                  frozen_stages=1, norm_eval=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[512, 1024, 2048], out_channels=channels),
    condition_film=dict(channels=channels),
    pyramid_attention=dict(channels=channels),
    encoder=dict(channels=channels, num_heads=8, ffn_channels=4 * channels),
    bbox_head=dict(in_channels=channels, feat_channels=channels, stacked_convs=4),
)

# 8 images a GPU; AdamW at 2e-4 for a batch of 16 (auto_scale_lr scales it with the real
# batch when enabled), the pretrained backbone at a tenth of it; 24 epochs, cosine.
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=2e-4),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
auto_scale_lr = dict(enable=False, base_batch_size=16)
train_cfg = dict(max_epochs=24, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=2e-6,
         convert_to_iter_based=True),
]

# T2 with an ImageNet MobileNetV3-Large (torchvision weights from a local file) on your own
# COCO-format photographs: the ResNet-50 recipe with a backbone for on-device use.
_base_ = ['./t2_r50_coco_format.py']

pretrained = 'checkpoints/mobilenet_v3_large_torchvision.pth'
channels = 128
model = dict(
    backbone=dict(_delete_=True, type='TorchvisionBackbone', arch='mobilenet_v3_large',
                  out_indices=(1, 2, 3), frozen_stages=0, norm_eval=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[40, 112, 160], out_channels=channels),
    condition_film=dict(channels=channels),
    pyramid_attention=dict(channels=channels),
    encoder=dict(channels=channels, num_heads=4, ffn_channels=4 * channels),
    bbox_head=dict(in_channels=channels, feat_channels=channels, stacked_convs=2),
)
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=4e-4))

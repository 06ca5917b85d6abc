# Your own COCO-format photographs (docs/data.md#your-own-photographs). The paths are set
# here, in one place: data_root, then each split's annotation file and image folder
# (relative to data_root). From the command line, override the dataloaders' own keys, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/street/ \
#                 val_dataloader.dataset.data_root=/data/street/
# (a changed `data_root` variable alone does not reach them: mmengine resolves variables
# when the file is read).
dataset_type = 'AssistiveCocoDataset'
data_root = 'data/coco_format/'
train_ann_file = 'annotations/train.json'
train_img_prefix = 'images/train/'
val_ann_file = 'annotations/val.json'
val_img_prefix = 'images/val/'

# JPEG or PNG of any size and aspect ratio: fitted into img_scale = (max width, max
# height) keeping the aspect ratio, then padded per batch to a multiple of 32. Training
# picks one of train_scales per image (multi-scale around 640 px) and flips half.
img_scale = (640, 640)
train_scales = [(512, 512), (576, 576), (640, 640), (704, 704), (768, 768)]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs'),
]

# 'auto': workers and pinned memory follow the device (docs/training.md#devices).
# Training drops images without boxes (nothing to learn from); evaluation keeps them (a
# detection there is a false positive).
train_dataloader = dict(
    batch_size=8,
    num_workers='auto',
    pin_memory='auto',
    persistent_workers=False,
    worker_init_fn=dict(type='maxsight.seed_worker'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann_file,
        data_prefix=dict(img=train_img_prefix),
        filter_empty_gt=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers='auto',
    pin_memory='auto',
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=val_ann_file,
        data_prefix=dict(img=val_img_prefix),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [dict(type='CocoMetric', ann_file=None, backend='auto'),
                 dict(type='AssistiveMetric')]
test_evaluator = val_evaluator

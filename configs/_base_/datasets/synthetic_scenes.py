# The embedded dataset: seeded synthetic street scenes (maxsight.datasets.synthetic).
# tools/train.py and tools/test.py generate it under data_root when it is missing.
# To train on any other COCO-format data, override data_root / ann_file / data_prefix:
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
dataset_type = 'AssistiveCocoDataset'
data_root = 'data/maxsight_synth/'
img_scale = (256, 192)  # (max width, max height) the image is fitted into

# splits are generated on first use: train/val images, train_clips/val_clips (4 frames)
embedded_dataset = dict(root=data_root, num_train=1600, num_val=400, num_train_clips=200,
                        num_val_clips=50, clip_length=4, seed=0, width=320, height=240)

train_pipeline = [
    # decoded training images stay in memory (the embedded train split takes 368 MiB):
    # decoding was 3/4 of the loading time, which the main process spends in every step
    dict(type='LoadImageFromFile', cache_mb=512),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs'),
]

# num_workers=0: on a 2-core CPU a loader worker competes with the two compute threads and
# costs more than it hides (T2: 0.62 -> 0.48 s per iteration); raise it on larger machines.
# Exact resume: workers (when used) are restarted every epoch (persistent_workers=False) and
# seeded from the epoch's generator (maxsight.seed_worker), so augmentation depends only on
# (seed, epoch); without workers EpochRandomnessHook seeds the main process per epoch.
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    worker_init_fn=dict(type='maxsight.seed_worker'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img=''),
        filter_empty_gt=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# ann_file=None: filled from the dataloader's dataset (data_root + ann_file) by the tools.
# backend='auto': faster-coco-eval when installed (identical numbers to pycocotools, 3-4x
# faster), else pycocotools. AssistiveMetric: distance / urgency / scene metrics with gates.
val_evaluator = [dict(type='CocoMetric', ann_file=None, backend='auto'),
                 dict(type='AssistiveMetric')]
test_evaluator = val_evaluator

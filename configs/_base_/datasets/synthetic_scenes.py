# The embedded dataset: seeded synthetic street scenes (maxsight.datasets.synthetic), which
# the runner generates under data_root when it is missing. Other COCO-format data: override
# data_root / ann_file / data_prefix (docs/data.md).
dataset_type = 'AssistiveCocoDataset'
data_root = 'data/maxsight_synth/'
img_scale = (256, 192)  # (max width, max height) the image is fitted into

# splits are generated on first use: train/val images, train_clips/val_clips (4 frames),
# held-out test/test_clips (never used for a choice; e.g. the tier ladder scores on them)
embedded_dataset = dict(root=data_root, num_train=1600, num_val=400, num_train_clips=200,
                        num_val_clips=50, num_test=4000, num_test_clips=400, clip_length=4,
                        seed=0, width=320, height=240)

train_pipeline = [
    # decoded training images stay in memory: decoding dominated the main process's
    # loading time (docs/benchmarks.md#profile-of-a-training-step-and-the-overheads-removed)
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

# 'auto' follows the device (maxsight.utils.config_preparation.resolve_loader_settings):
# without a GPU no training worker (it competes with the compute threads; same section of
# docs/benchmarks.md) and one evaluation worker; on a GPU machine up to 8 workers a process
# and pinned memory. Workers are restarted and seeded every epoch so augmentation depends
# only on (seed, epoch): exact resume (docs/training.md#exact-resume).
train_dataloader = dict(
    batch_size=16,
    num_workers='auto',
    pin_memory='auto',
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
    num_workers='auto',
    pin_memory='auto',
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

# ann_file=None: the runner fills in the dataloader's file. backend='auto': faster-coco-eval
# when installed (the same numbers as pycocotools, docs/evaluation.md), else pycocotools.
# AssistiveMetric: distance / urgency / scene metrics with their gates.
val_evaluator = [dict(type='CocoMetric', ann_file=None, backend='auto'),
                 dict(type='AssistiveMetric')]
test_evaluator = val_evaluator

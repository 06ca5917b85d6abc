# Runtime shared by every MaxSight config: registry scope, hooks, logging, environment.
default_scope = 'maxsight'
# prepares every run (class list, embedded data, condition, transfer, QAT): RUNNERS.build(cfg)
# in a notebook runs what tools/train.py runs
runner_type = 'maxsight.MaxSightRunner'
# a vision condition (DESIGN section 5), e.g. 'glaucoma'; tools: --condition NAME
vision_condition = None
# transforms inserted into every pipeline: [dict(after=TYPE, transform=dict(type=...))]
pipeline_additions = []

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the last two epochs and the best one by val coco/bbox_mAP; checkpoints are written
    # atomically (a kill mid-save never leaves a truncated file under a checkpoint name)
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='coco/bbox_mAP', rule='greater',
                    backend_args=dict(backend='maxsight_atomic')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # every epoch's random stream = f(seed, epoch); RNG states saved in checkpoints
    randomness=dict(type='EpochRandomnessHook'),
    # skip updates with a non-finite task loss, back the LR off, abort after 50 bad steps
    stability=dict(type='StabilityHook', backoff_after=3, backoff_factor=0.1,
                   recover_after=20, abort_after=50),
    # logs the share of a test run spent computing metrics
    evaluation_timer=dict(type='EvaluationTimerHook'),
    # pictures of 4 predictions (beside the ground truth) per validation / test pass to the
    # vis backends; tools/test.py --show-dir saves every test image
    visualization=dict(type='ShowPredictionsHook', max_images=4),
    # after training: loss / metric curves, AP per class, confusion matrices in <work_dir>/plots
    training_plots=dict(type='TrainingPlotsHook'),
    # after the last validation: the hazard threshold / score exponent / display threshold
    # meeting the hazard-recall target on val, stored in the checkpoint (docs/evaluation.md)
    operating_point=dict(type='OperatingPointHook', recall_target=0.95),
)
# test, inference and export use a checkpoint's calibrated operating point; False keeps
# the config's test_cfg and display threshold
use_operating_point = True

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # the runner switches to gloo when there is no GPU
)
# mixed precision on a CUDA GPU: 'float16' or 'bfloat16' (tools/train.py --amp [DTYPE])
amp = None

# Scalars and pictures go to every vis backend: LocalVisBackend writes
# <work_dir>/<timestamp>/vis_data/ (scalars.json, vis_image/*.png). TensorBoard (needs the
# optional tensorboard package): add dict(type='TensorboardVisBackend') to vis_backends, or
# set use_tensorboard = True (--cfg-options use_tensorboard=True).
use_tensorboard = False
visualizer = dict(type='MaxSightVisualizer', vis_backends=[dict(type='LocalVisBackend')])

# multi-process training (tools/dist_train.sh): DDP that lets the task balancer do the update;
# unused parameters exist (e.g. the condition embedding without --condition)
model_wrapper_cfg = dict(type='maxsight.MaxSightDistributedDataParallel',
                         find_unused_parameters=True)

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

# Hyper-parameter search (tools/automl.py, needs optuna): each search_space key is a config
# key; type float (low, high, log), int (low, high, step, log) or categorical (choices).
# The objective is the val `metric` after the last epoch, reported every epoch so the
# pruner can stop poor trials early.
automl = dict(
    metric='coco/bbox_mAP',
    direction='maximize',
    sampler=dict(type='TPESampler', seed=0),
    pruner=dict(type='MedianPruner', n_startup_trials=3, n_warmup_steps=1),
    search_space={
        'optim_wrapper.optimizer.lr': dict(type='float', low=5e-4, high=5e-3, log=True),
        'optim_wrapper.optimizer.weight_decay': dict(type='float', low=1e-3, high=0.2,
                                                     log=True),
        'train_dataloader.batch_size': dict(type='categorical', choices=[8, 16, 32]),
        'optim_wrapper.clip_grad.max_norm': dict(type='float', low=1.0, high=20.0, log=True),
        'model.bbox_head.loss_cls.loss_weight': dict(type='float', low=1.0, high=4.0),
        'model.bbox_head.loss_bbox.loss_weight': dict(type='float', low=2.0, high=8.0),
    })

# MaxSight T0: CNN backbone + FPN + dense multi-task head, static loss weights.
_base_ = [
    '_base_/datasets/synthetic_scenes.py',
    '_base_/models/maxsight_t0.py',
    '_base_/schedules/adamw_cosine.py',
    '_base_/default_runtime.py',
]

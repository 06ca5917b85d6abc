# MaxSight T1: T0 + channel/spatial attention on the pyramid (the model:
# _base_/models/maxsight_t1.py), on the embedded dataset.
_base_ = [
    '_base_/datasets/synthetic_scenes.py',
    '_base_/models/maxsight_t1.py',
    '_base_/schedules/adamw_cosine.py',
    '_base_/default_runtime.py',
]

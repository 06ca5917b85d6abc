# MaxSight T2 (the default): hybrid CNN + transformer detector on the embedded dataset.
_base_ = [
    '_base_/datasets/synthetic_scenes.py',
    '_base_/models/maxsight_t2.py',
    '_base_/schedules/adamw_cosine_12e.py',
    '_base_/default_runtime.py',
]

# MaxSight T2 (the default): T1 + transformer encoder over the pyramid levels (stride 8-32)
# (the model: _base_/models/maxsight_t2.py), on the embedded dataset.
_base_ = [
    '_base_/datasets/synthetic_scenes.py',
    '_base_/models/maxsight_t2.py',
    '_base_/schedules/adamw_cosine.py',
    '_base_/default_runtime.py',
]

automl = dict(search_space={
    'model.bbox_head.hazard_loss_weight': dict(type='float', low=1.0, high=6.0)})

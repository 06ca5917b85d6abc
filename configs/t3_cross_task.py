# MaxSight T3: T2 + cross-task attention (distance/urgency features attend to class/box).
_base_ = ['./t2_default.py']

model = dict(bbox_head=dict(type='CrossTaskDenseHead', cross_heads=4))

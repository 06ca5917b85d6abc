# MaxSight T3: T2 + cross-task urgency (urgency reads the class, box and distance answers).
_base_ = ['./t2_default.py']

model = dict(bbox_head=dict(type='CrossTaskDenseHead', answer_channels=64))

# MaxSight T3: T2 + cross-task urgency (urgency reads the class, box and distance answers).
_base_ = ['./t2_default.py']

model = dict(bbox_head=dict(type='CrossTaskDenseHead', answer_channels=64))
# after the last epoch: the answer MLP fitted again on the answers the finished model gives
# (docs/tiers.md#measured-2026-12-06-sixth-t3-with-its-answer-mlp-refitted-after-training)
custom_hooks = [dict(type='AnswerRefitHook', steps=2000, lr=1e-3)]

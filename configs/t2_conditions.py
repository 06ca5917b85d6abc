# Condition-aware T2: one model for all 14 vision conditions. Each training image is drawn
# with one condition (its preprocessing, FiLM embedding row and loss spatial priority) or
# none (1 in 15); validation stays clean. `tools/test.py ... --conditions all` then reports
# every condition with its trained embedding (docs/data.md#vision-conditions).
_base_ = ['./t2_default.py']

pipeline_additions = [dict(after='LoadAnnotations', splits=('train',),
                           transform=dict(type='RandomVisionCondition'))]

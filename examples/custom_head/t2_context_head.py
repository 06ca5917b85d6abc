# T2 with the example ContextUrgencyHead, imported from outside the package.
_base_ = ['../../configs/t2_default.py']

custom_imports = dict(imports=['examples.custom_head.context_urgency_head'],
                      allow_failed_imports=False)
model = dict(bbox_head=dict(type='ContextUrgencyHead'))

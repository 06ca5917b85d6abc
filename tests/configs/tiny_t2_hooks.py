# tiny_t2 with the default runtime's after-training hooks back on (calibration, pictures,
# plots): tests/test_tools/test_train_test_resume.py checks what they leave in the work dir.
_base_ = ['./tiny_t2.py']

default_hooks = dict(
    operating_point=dict(_delete_=True, type='OperatingPointHook', recall_target=0.95),
    visualization=dict(_delete_=True, type='ShowPredictionsHook', max_images=4),
    training_plots=dict(_delete_=True, type='TrainingPlotsHook'))

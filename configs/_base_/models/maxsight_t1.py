# T1's model: T0 + attention: channel/spatial attention on the pyramid, and the scene
# urgency read out of the coarsest level by attention pooling instead of the mean.
_base_ = ['./maxsight_t0.py']

model = dict(pyramid_attention=dict(type='PyramidAttention', channels=64),
             bbox_head=dict(scene_pool=dict(type='AttentionPool', heads=4)))

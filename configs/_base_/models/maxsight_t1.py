# T1's model: T0 + channel/spatial attention on the pyramid.
_base_ = ['./maxsight_t0.py']

model = dict(pyramid_attention=dict(type='PyramidAttention', channels=64))

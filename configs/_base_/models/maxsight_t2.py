# T2's model (the default): T1 + transformer encoder over the coarse (stride 16, 32) levels.
_base_ = ['./maxsight_t1.py']

model = dict(
    encoder=dict(type='CoarseLevelEncoder', channels=64, levels=(1, 2), num_layers=1,
                 num_heads=4, ffn_channels=128))

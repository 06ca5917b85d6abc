# T2's model (the default): T1 + transformer encoder over the tokens of every pyramid level
# (stride 8, 16, 32; docs/tiers.md says why not the coarse two alone).
_base_ = ['./maxsight_t1.py']

model = dict(
    encoder=dict(type='CoarseLevelEncoder', channels=64, levels=(0, 1, 2), num_layers=1,
                 num_heads=4, ffn_channels=128))

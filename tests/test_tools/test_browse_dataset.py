import importlib.util

import numpy as np
from PIL import Image


def _tool():
    spec = importlib.util.spec_from_file_location('browse', 'tools/analysis_tools/browse_dataset.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_browse_writes_what_the_model_sees(tiny_synth, tmp_path):
    tool = _tool()
    opts = [f'val_dataloader.dataset.data_root={tiny_synth}/']
    clean = tool.main(['tests/configs/tiny_t2.py', '--out-dir', str(tmp_path / 'a'),
                       '--split', 'val', '--num', '2', '--cfg-options', *opts])
    dark = tool.main(['tests/configs/tiny_t2.py', '--out-dir', str(tmp_path / 'b'),
                      '--split', 'val', '--num', '2', '--corruption', 'low_light:5',
                      '--condition', 'amd', '--cfg-options', *opts])
    assert len(clean) == len(dark) == 2
    a, b = np.asarray(Image.open(clean[0])), np.asarray(Image.open(dark[0]))
    assert a.shape == b.shape == (96, 128, 3)  # resized network input
    assert b[20:].mean() < a[20:].mean()  # severity-5 low light is darker
    colours = {tuple(c) for c in a.reshape(-1, 3)}
    assert {(40, 200, 60), (240, 220, 40), (255, 140, 0), (230, 30, 30)} & colours

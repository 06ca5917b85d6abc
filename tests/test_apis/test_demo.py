"""tools/demo.py over a folder of images and a video: pictures, the same frame count and
rate, a JSON line per frame, speech when a TTS engine is installed (bad sources:
tests/test_tools/test_tool_errors.py)."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ..helpers import ROOT
from .test_apis import CONFIG, checkpoint  # noqa: F401  (the module's fixture)

pytestmark = pytest.mark.slow  # the demo tool end to end


def _run(*args):
    return subprocess.run([sys.executable, 'tools/demo.py', CONFIG, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_demo_on_images_and_a_video(tiny_synth, checkpoint, tmp_path):  # noqa: F811
    import cv2
    folder = tmp_path / 'imgs'
    folder.mkdir()
    vals = sorted(os.listdir(osp.join(tiny_synth, 'val')))[:2]
    for name in vals:
        shutil.copy(osp.join(tiny_synth, 'val', name), folder / name)
    (folder / 'notes.txt').write_text('not an image')
    proc = _run(checkpoint, str(folder), '--out', str(tmp_path / 'o1'), '--score-thr', '0.0')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'ETA' in proc.stdout and '2 frame(s)' in proc.stdout
    assert sorted(os.listdir(tmp_path / 'o1')) == sorted(
        [osp.splitext(n)[0] + '.png' for n in vals] + ['frames.jsonl'])
    lines = [json.loads(x) for x in open(tmp_path / 'o1' / 'frames.jsonl')]
    assert [x['source'] for x in lines] == vals
    assert all(x['readout'].startswith('Scene: ') and isinstance(x['detections'], list)
               for x in lines)
    frame = cv2.imread(osp.join(tiny_synth, 'val', vals[0]))
    video = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 7.0,
                             (frame.shape[1], frame.shape[0]))
    for t in range(6):
        writer.write(np.roll(frame, 2 * t, axis=1))
    writer.release()
    speak = shutil.which('espeak-ng') or shutil.which('espeak')
    proc = _run(checkpoint, video, '--out', str(tmp_path / 'o2'), '--condition', 'glaucoma',
                '--speak', '--score-thr', '0.0')
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = cv2.VideoCapture(str(tmp_path / 'o2' / 'clip_annotated.mp4'))
    assert int(out.get(cv2.CAP_PROP_FRAME_COUNT)) == 6 and out.get(cv2.CAP_PROP_FPS) == 7.0
    ok, first = out.read()
    assert ok and first.shape[1] > 2 * 480  # the prediction and the device view
    lines = [json.loads(x) for x in open(tmp_path / 'o2' / 'frames.jsonl')]
    assert [x['frame'] for x in lines] == list(range(6))
    assert [x['time_s'] for x in lines] == [round(i / 7, 3) for i in range(6)]
    # the first frame says everything it announces: its readout after the scene line
    first = lines[0]['readout']
    assert lines[0]['spoken'] == (first.split('. ', 1)[1] if '. ' in first else '')
    if speak:
        wavs = os.listdir(tmp_path / 'o2' / 'speech')
        assert wavs and all(open(tmp_path / 'o2' / 'speech' / w, 'rb').read(4) == b'RIFF'
                            for w in wavs)
        assert len(wavs) == sum(1 for x in lines if x['spoken'])
    else:
        assert 'no TTS engine found' in proc.stdout

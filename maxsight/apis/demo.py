"""What ``tools/demo.py`` runs: a model over an image, a folder of images or a video file.

Writes to ``out_dir``: an annotated picture per image (``<stem>.png``) or an annotated video
(``<stem>_annotated.mp4``, same frame count and rate), ``frames.jsonl`` (one JSON object per
frame: the shown detections, the scene urgency, the readout and, in video, what is spoken
after tracking) and, with ``speak`` and a TTS engine installed, ``speech/<frame>.wav``.
With ``condition``, the model runs as on that user's device (the condition's preprocessing
and embedding) and each picture shows the device's view beside the detections.
"""
import copy
import json
import os
import os.path as osp
import shutil
import subprocess
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from ..datasets.labels import URGENCY_NAMES, heard_sides
from ..utils.errors import ToolError
from ..visualization.render import told_scene_urgency
from .inference import DetectionResult, inference
from .readout import DEFAULT_FOV_DEG, Announcement, ReadoutTracker, readout_text

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg')
TTS_ENGINES = ('espeak-ng', 'espeak')


def tts_engine() -> Optional[str]:
    """Path of an installed TTS engine (espeak-ng, else espeak), or None."""
    for name in TTS_ENGINES:
        path = shutil.which(name)
        if path:
            return path
    return None


def speak_to_wav(engine: str, text: str, path: str) -> None:
    """Say ``text`` into the WAV file ``path`` with ``engine``."""
    subprocess.run([engine, '-w', path, text], check=True, capture_output=True, timeout=60)


def source_kind(source: str) -> str:
    """'folder', 'image' or 'video' (by extension); a clear error otherwise."""
    if osp.isdir(source):
        return 'folder'
    if not osp.isfile(source):
        raise ToolError(f'{source}: no such file or folder (give an image, a folder of '
                        'images or a video file)')
    ext = osp.splitext(source)[1].lower()
    if ext in IMAGE_EXTS:
        return 'image'
    if ext in VIDEO_EXTS:
        return 'video'
    raise ToolError(f'{source}: unknown file type {ext!r}; images: {", ".join(IMAGE_EXTS)}; '
                    f'videos: {", ".join(VIDEO_EXTS)}')


def check_source(source: str) -> str:
    """:func:`source_kind`, and a folder must hold images: a clear error before any model
    is loaded."""
    kind = source_kind(source)
    if kind == 'folder':
        _images(source, kind)
    return kind


def _images(source: str, kind: str) -> List[str]:
    if kind == 'image':
        return [source]
    files = sorted(osp.join(source, f) for f in os.listdir(source)
                   if osp.splitext(f)[1].lower() in IMAGE_EXTS)
    if not files:
        raise ToolError(f'{source}: no images ({", ".join(IMAGE_EXTS)}) in this folder')
    return files


def _video_frames(path: str) -> Tuple[Iterator[np.ndarray], int, float]:
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ToolError(f'{path}: OpenCV cannot open this video (is the codec installed?)')
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = float(cap.get(cv2.CAP_PROP_FPS)) or 25.0

    def frames():
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            yield np.ascontiguousarray(bgr[..., ::-1])
        cap.release()
    return frames(), count, fps


def _with_condition(model, condition: Optional[str]):
    """The model's inference pipeline with ``condition``'s transform (which also hands the
    condition to the model), and that transform for the side view."""
    if not condition:
        return None
    from ..datasets.transforms.vision_conditions import condition_transform_cfg
    from ..registry import TRANSFORMS
    from ..utils.config_preparation import apply_condition
    model.cfg = apply_condition(copy.deepcopy(model.cfg), condition, splits=('test',))
    return TRANSFORMS.build(condition_transform_cfg(condition))


def _picture(result: DetectionResult, score_thr: Optional[float], view_transform,
             condition: Optional[str]) -> np.ndarray:
    """The annotated frame; with a condition, the device's view of it on the right."""
    drawn = result.plot(score_thr)
    if view_transform is None:
        return drawn
    from ..visualization.render import Objects, draw_panel
    view = view_transform(dict(img=result.image.copy()))['img']
    side = draw_panel(view, Objects(np.zeros((0, 4)), []), [], f'{condition}: device view')
    pad = np.full((drawn.shape[0] - side.shape[0], side.shape[1], 3), 30, np.uint8)
    gap = np.full((drawn.shape[0], 8, 3), 255, np.uint8)
    return np.concatenate([drawn, gap, np.concatenate([side, pad], 0)], 1)


def _record(index: int, name: str, result: DetectionResult, score_thr: Optional[float],
            items: List[Announcement], spoken: Optional[str], time_s: Optional[float]
            ) -> Dict:
    """The frame's JSON line; ``items`` are its announcements."""
    scene = told_scene_urgency(result.scene_urgency, [a.urgency for a in items])
    rec = dict(frame=index, source=name, detections=result.shown(score_thr).objects(),
               scene_urgency=URGENCY_NAMES[scene],
               readout=readout_text(items, scene, heard_sides(result.beside_hazard)))
    if time_s is not None:
        rec.update(time_s=round(time_s, 3), spoken=spoken)
    return rec


def run_demo(model, source: str, out_dir: str, score_thr: Optional[float] = None,
             condition: Optional[str] = None, speak: bool = False,
             fov_deg: float = DEFAULT_FOV_DEG, clock: bool = False) -> Dict:
    """Run ``model`` (from :func:`maxsight.apis.init_model`) over ``source``; returns a
    summary (frames, written files, whether speech was written)."""
    import cv2
    from PIL import Image
    kind = source_kind(source)
    os.makedirs(out_dir, exist_ok=True)
    engine = tts_engine() if speak else None
    if speak and engine is None:
        print('--speak: no TTS engine found (install one: sudo apt-get install espeak-ng); '
              'writing the readout as text only')
    if engine:
        os.makedirs(osp.join(out_dir, 'speech'), exist_ok=True)
    view = _with_condition(model, condition)
    jsonl = open(osp.join(out_dir, 'frames.jsonl'), 'w')
    written, frames_done, wavs = [], 0, 0
    try:
        if kind == 'video':
            frames, count, fps = _video_frames(source)
            tracker = ReadoutTracker()
            writer = None
            out_path = osp.join(out_dir, osp.splitext(osp.basename(source))[0] +
                                '_annotated.mp4')
            bar = ProgressBar(count) if count > 0 else None
            for i, frame in enumerate(frames):
                result = inference(model, frame)
                items = result.announcements(score_thr, fov_deg=fov_deg, clock=clock)
                spoken_items = tracker.update(items)
                spoken = readout_text(spoken_items, None) if spoken_items else ''
                pic = _picture(result, score_thr, view, condition)
                if writer is None:
                    writer = cv2.VideoWriter(out_path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                             (pic.shape[1], pic.shape[0]))
                writer.write(np.ascontiguousarray(pic[..., ::-1]))
                rec = _record(i, osp.basename(source), result, score_thr, items, spoken,
                              i / fps)
                jsonl.write(json.dumps(rec) + '\n')
                if engine and spoken:
                    speak_to_wav(engine, spoken, osp.join(out_dir, 'speech', f'{i:06d}.wav'))
                    wavs += 1
                frames_done += 1
                if bar:
                    bar.update()
            if writer is not None:
                writer.release()
                written.append(out_path)
        else:
            files = _images(source, kind)
            bar = ProgressBar(len(files))
            for i, path in enumerate(files):
                result = inference(model, path)
                pic = _picture(result, score_thr, view, condition)
                out_path = osp.join(out_dir, osp.splitext(osp.basename(path))[0] + '.png')
                Image.fromarray(pic).save(out_path)
                written.append(out_path)
                items = result.announcements(score_thr, fov_deg=fov_deg, clock=clock)
                rec = _record(i, osp.basename(path), result, score_thr, items, None, None)
                jsonl.write(json.dumps(rec) + '\n')
                if engine and rec['readout']:
                    speak_to_wav(engine, rec['readout'],
                                 osp.join(out_dir, 'speech', f'{i:06d}.wav'))
                    wavs += 1
                frames_done += 1
                bar.update()
    finally:
        jsonl.close()
    print()
    return dict(kind=kind, frames=frames_done, written=written, wav_files=wavs,
                frames_jsonl=osp.join(out_dir, 'frames.jsonl'))

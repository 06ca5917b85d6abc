import json

import numpy as np
import pytest

from maxsight.datasets import AssistiveCocoDataset
from maxsight.datasets.synthetic import generate_split
from maxsight.datasets.synthetic.audio import N_MELS, audio_features
from maxsight.datasets.synthetic.generator import CLASSES, SceneRenderer, _annotate

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='LoadAudioFeatures'), dict(type='Resize', scale=(64, 48)),
            dict(type='RandomFlip', prob=0.5), dict(type='PackDetInputs')]


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('clips'))
    ann = generate_split(root, 'val_clips', 3, seed=1, width=128, height=96, clip_length=5)
    return root, ann


def test_clip_annotations_move_consistently(clips):
    root, ann = clips
    data = json.load(open(ann))
    assert len(data['images']) == 15
    assert [i['frame_index'] for i in data['images'][:5]] == [0, 1, 2, 3, 4]
    by_image = {i['id']: i for i in data['images']}
    tracks = {}
    for a in data['annotations']:
        img = by_image[a['image_id']]
        tracks.setdefault((img['clip_id'], a['track_id']), []).append(
            (img['frame_index'], a['bbox'][0] + a['bbox'][2] / 2, a['distance_m']))
    steady = 0
    for points in tracks.values():
        if len(points) >= 4:
            xs = np.array([p[1] for p in sorted(points)])
            steps = np.diff(xs)
            steady += int(np.all(np.sign(steps) == np.sign(steps[0])) or np.ptp(steps) < 2)
    assert steady >= 0.7 * sum(len(p) >= 4 for p in tracks.values())


def test_clip_urgency_follows_the_motion_shown(clips):
    """Each clip annotation's approach speed is the distance it closes to the next frame x
    5 frames/s, and its urgency the time-to-contact rule of that speed; the motion changes
    the level of a good share of the objects against the still-image rule."""
    from maxsight.datasets.labels import (moving_urgency_score, urgency_from_fields,
                                          urgency_level)
    _, ann = clips
    data = json.load(open(ann))
    by_image = {i['id']: i for i in data['images']}
    priors = {c['id']: c['hazard_prior'] for c in data['categories']}
    at = {}
    for a in data['annotations']:
        img = by_image[a['image_id']]
        at[(img['clip_id'], a['track_id'], img['frame_index'])] = a
    changed = checked = 0
    for (clip, track, t), a in at.items():
        img_w = by_image[a['image_id']]['width']
        cx = (a['bbox'][0] + a['bbox'][2] / 2) / img_w
        args = (priors[a['category_id']], a['distance_m'], cx)
        assert a['urgency'] == urgency_level(moving_urgency_score(*args, a['approach_m_s']))
        changed += a['urgency'] != urgency_from_fields(*args)
        nxt = at.get((clip, track, t + 1))
        if nxt is not None:
            closed = (a['distance_m'] - nxt['distance_m']) * 5
            assert a['approach_m_s'] == pytest.approx(closed, abs=0.02)
            checked += 1
    assert checked >= 20 and changed >= 0.2 * len(at)
    assert {a['approach_m_s'] > 0 for a in at.values()} == {True, False}


def test_clip_mode_returns_stacked_frames_with_mask(clips):
    root, ann = clips
    ds = AssistiveCocoDataset(ann_file=ann, data_prefix=dict(img=root), pipeline=PIPELINE,
                              clip_length=4)
    assert len(ds) == 6  # 3 clips of 5 frames -> windows of 4 + 1
    full, short = ds[0], ds[1]
    assert tuple(full['inputs'].shape) == (4, 3, 48, 64)
    assert full['padding_mask'].tolist() == [False] * 4
    assert short['padding_mask'].tolist() == [False, True, True, True]
    assert (short['inputs'][1:] == 0).all() and len(short['data_samples']) == 4
    assert len(short['data_samples'][2].gt_instances) == 0
    flips = {s.metainfo['flip'] for s in full['data_samples']}
    assert len(flips) == 1  # one augmentation decision per clip
    assert tuple(full['data_samples'][0].audio.shape) == (N_MELS, 48)
    frame_ids = [s.metainfo['frame_index'] for s in full['data_samples']]
    assert frame_ids == [0, 1, 2, 3]


def test_audio_reflects_scene_content():
    rng = np.random.default_rng(0)
    car = next(c for c in CLASSES if c.name == 'car')
    door = next(c for c in CLASSES if c.name == 'door')
    near_car = audio_features([dict(cls=car, distance=2.0)], rng)
    far_car = audio_features([dict(cls=car, distance=15.0)], rng)
    silent = audio_features([dict(cls=door, distance=2.0)], rng)
    low = slice(0, 8)  # engine energy sits in the low mel bands
    assert near_car[low].mean() > far_car[low].mean() > silent[low].mean()


def test_objects_out_of_the_frame_are_heard_but_not_annotated():
    """A car beside the camera has no box, and its engine is still in the scene's audio
    (the audio is made from every placed object, seen or not)."""
    car = next(c for c in CLASSES if c.name == 'car')
    renderer = SceneRenderer(np.random.default_rng(0), 128, 96)
    half_view_m = renderer.w / 2 * 4.0 / renderer.focal  # half the visible width at 4 m
    beside = dict(cls=car, distance=4.0, x_m=3 * half_view_m, width_m=1.8, color=(200, 0, 0),
                  draw_seed=1, track_id=1)
    edge = dict(beside, x_m=half_view_m, track_id=2)  # centred on the right edge
    _, placed = renderer.render([beside, edge], np.random.default_rng(1))
    anns = _annotate(placed, 128, 96)
    assert [a['track_id'] for a in anns] == [2]
    assert 0.4 < anns[0]['truncation'] < 0.6  # half its box is outside the frame
    heard = audio_features(placed, np.random.default_rng(2))
    seen_only = audio_features([o for o in placed if o['track_id'] == 2],
                               np.random.default_rng(2))
    low = slice(0, 8)
    assert heard[low].mean() > seen_only[low].mean() + 0.1


def test_load_audio_features_reads_the_file_or_gives_zeros_and_names_bad_files(tmp_path):
    from maxsight.datasets.transforms import ImageLoadError, LoadAudioFeatures
    feats = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    path = str(tmp_path / 'a.npy')
    np.save(path, feats)
    t = LoadAudioFeatures(shape=[4, 5])
    out = t(dict(audio_path=path, img_id=3))['audio']
    assert out.dtype == np.float32 and np.array_equal(out, feats.astype(np.float32))
    silent = t(dict(img_id=3))['audio']
    assert silent.dtype == np.float32 and silent.shape == (4, 5) and not silent.any()
    assert repr(t) == 'LoadAudioFeatures(shape=(4, 5))'
    assert LoadAudioFeatures()(dict())['audio'].shape == (32, 48)
    with pytest.raises(FileNotFoundError, match=r'^audio file not found: .*gone.npy '
                                                 r'\(images\[id=3\] field "audio"\)$'):
        t(dict(audio_path=str(tmp_path / 'gone.npy'), img_id=3))
    pickled = str(tmp_path / 'p.npy')
    np.save(pickled, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ImageLoadError, match='p.npy: cannot read audio features'):
        t(dict(audio_path=pickled))  # pickles are refused, never executed
    for bad in (np.zeros(3), np.array([[1.0, np.nan]])):
        np.save(path, bad)
        with pytest.raises(ImageLoadError, match='must be a finite 2-D array'):
            t(dict(audio_path=path))

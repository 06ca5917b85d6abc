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
    assert tuple(full['data_samples'][0].audio.shape) == (2, N_MELS, 48)
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
    assert near_car[:, low].mean() > far_car[:, low].mean() > silent[:, low].mean()


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
    low = slice(0, 5)  # the engine-dominated bands, above the ambient floor
    assert heard[:, low].mean() > seen_only[:, low].mean() + 0.1


def test_load_audio_features_reads_the_file_or_gives_zeros_and_names_bad_files(tmp_path):
    from maxsight.datasets.transforms import ImageLoadError, LoadAudioFeatures
    feats = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    path = str(tmp_path / 'a.npy')
    np.save(path, feats)
    t = LoadAudioFeatures(shape=[4, 5])
    out = t(dict(audio_path=path, img_id=3))['audio']
    mono_on_both_ears = np.stack([feats, feats]).astype(np.float32)
    assert out.dtype == np.float32 and np.array_equal(out, mono_on_both_ears)
    silent = t(dict(img_id=3))['audio']
    assert silent.dtype == np.float32 and silent.shape == (2, 4, 5) and not silent.any()
    assert repr(t) == 'LoadAudioFeatures(shape=(4, 5))'
    assert LoadAudioFeatures()(dict())['audio'].shape == (2, 32, 48)
    with pytest.raises(FileNotFoundError, match=r'^audio file not found: .*gone.npy '
                                                 r'\(images\[id=3\] field "audio"\)$'):
        t(dict(audio_path=str(tmp_path / 'gone.npy'), img_id=3))
    pickled = str(tmp_path / 'p.npy')
    np.save(pickled, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ImageLoadError, match='p.npy: cannot read audio features'):
        t(dict(audio_path=pickled))  # pickles are refused, never executed
    for bad in (np.zeros(3), np.array([[1.0, np.nan]])):
        np.save(path, bad)
        with pytest.raises(ImageLoadError, match=r'must be a finite array \[2, F, T\]'):
            t(dict(audio_path=path))


def test_ear_gains_follow_the_sine_law():
    from maxsight.datasets.synthetic.audio import ear_gains
    assert ear_gains(0.0, 5.0) == pytest.approx((0.5 ** 0.5, 0.5 ** 0.5))
    left, right = ear_gains(3.0, 3.0)  # 45 degrees to the right: sin = 0.7071
    assert (left, right) == pytest.approx((0.382683, 0.923880), abs=1e-6)
    assert ear_gains(-3.0, 3.0) == pytest.approx((right, left))
    assert left ** 2 + right ** 2 == pytest.approx(1.0)


def test_a_source_on_the_right_is_louder_in_the_right_ear():
    car = next(c for c in CLASSES if c.name == 'car')
    right = audio_features([dict(cls=car, distance=4.0, x_m=3.0)], np.random.default_rng(0))
    left = audio_features([dict(cls=car, distance=4.0, x_m=-3.0)], np.random.default_rng(0))
    ahead = audio_features([dict(cls=car, distance=4.0, x_m=0.0)], np.random.default_rng(0))
    low = slice(0, 5)  # the engine-dominated bands, above the ambient floor
    assert right.shape == (2, N_MELS, 48)
    ild = [a[1, low].mean() - a[0, low].mean() for a in (right, ahead, left)]
    # log power ratio of the sine-law gains at 36.9 degrees: log(0.8 / 0.2) = 1.386
    assert ild[0] == pytest.approx(1.386, abs=0.1) and ild[2] == pytest.approx(-1.386, abs=0.1)
    assert abs(ild[1]) < 0.05


def test_flipping_swaps_the_ears_whichever_transform_runs_first(tmp_path):
    from maxsight.datasets.transforms import LoadAudioFeatures, RandomFlip
    stereo = np.stack([np.zeros((4, 6)), np.ones((4, 6))]).astype(np.float32)
    np.save(tmp_path / 'a.npy', stereo)
    img = np.zeros((8, 10, 3), np.uint8)
    loaded = LoadAudioFeatures()(dict(img=img, audio_path=str(tmp_path / 'a.npy')))
    flipped = RandomFlip(prob=1.0)(loaded)
    assert flipped['audio'][0].max() == 1 and flipped['audio'][1].max() == 0
    late = LoadAudioFeatures()(RandomFlip(prob=1.0)(dict(img=img,
                                                          audio_path=str(tmp_path / 'a.npy'))))
    assert np.array_equal(late['audio'], flipped['audio'])
    kept = LoadAudioFeatures()(RandomFlip(prob=0.0)(dict(img=img,
                                                          audio_path=str(tmp_path / 'a.npy'))))
    assert np.array_equal(kept['audio'], stereo)


def test_mono_audio_is_heard_on_both_ears_and_other_shapes_are_refused(tmp_path):
    from maxsight.datasets.transforms import ImageLoadError, LoadAudioFeatures
    mono = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / 'mono.npy', mono)
    out = LoadAudioFeatures()(dict(audio_path=str(tmp_path / 'mono.npy')))['audio']
    assert out.shape == (2, 3, 4) and np.array_equal(out[0], mono) and np.array_equal(out[1], mono)
    assert LoadAudioFeatures(shape=(5, 7))(dict())['audio'].shape == (2, 5, 7)
    np.save(tmp_path / 'bad.npy', np.zeros((3, 3, 4), np.float32))
    with pytest.raises(ImageLoadError, match=r'bad.npy: audio features must be .*\[3, 3, 4\]'):
        LoadAudioFeatures()(dict(audio_path=str(tmp_path / 'bad.npy')))

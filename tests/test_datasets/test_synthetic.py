import filecmp
import json
import os.path as osp
from collections import Counter

from maxsight.datasets import parse_coco_file
from maxsight.datasets.labels import lighting_from_pixels
from maxsight.datasets.synthetic import generate_split
from maxsight.datasets.transforms import read_rgb

from ..helpers import ROOT


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path):
    a = generate_split(str(tmp_path / 'a'), 'val', 6, seed=5, width=128, height=96)
    b = generate_split(str(tmp_path / 'b'), 'val', 6, seed=5, width=128, height=96)
    c = generate_split(str(tmp_path / 'c'), 'val', 6, seed=6, width=128, height=96)
    assert filecmp.cmp(a, b, shallow=False)
    assert not filecmp.cmp(a, c, shallow=False)
    assert filecmp.cmp(tmp_path / 'a/val/000003.png', tmp_path / 'b/val/000003.png',
                       shallow=False)


def _content_digest(root, pixels: bool) -> str:
    """SHA-256 over the generated files under ``root`` by relative path: with ``pixels``
    the PNG images as decoded RGB (independent of the encoder's version), else the
    annotation files as bytes and the audio features as arrays (JPEG images never: their
    pixels depend on the codec's version)."""
    import hashlib

    import numpy as np
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob('*') if p.is_file()):
        if (path.suffix == '.png') != pixels or path.suffix == '.jpg':
            continue
        digest.update(str(path.relative_to(root)).encode())
        if path.suffix == '.png':
            digest.update(read_rgb(str(path)).tobytes())
        elif path.suffix == '.npy':
            arr = np.load(path)
            digest.update(f'{arr.dtype}{arr.shape}'.encode() + arr.tobytes())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


#: what each generator version writes for :func:`_generate_small`: the labels and audio
#: of the still + clip, signal and variant sets, and the pixels of the first two per
#: Pillow version (its drawing rasterises the scenes). A change in what the generator
#: writes must come with a new GENERATOR_VERSION (SIGNAL_SET_VERSION for the signal set),
#: so that splits on disk are generated again (docs/data.md)
GOLDEN = {('1.4', '4'): dict(
    data=('371a62e411b3909c0f3dd6ab9f82646425a4443cb734799759e0e26dd9f8ebc6',
          'bac40aeeadba406e92d9213fd7915a081c76fc7345ecd69fa7de2f3655da7def',
          '46b2af25e017975dbfda2bb5bb8f4c8440fd44bc28b91acff330a50b9dbb634e'),
    pixels={'13.0': ('789a25896ee50a0258342ebc33e516f5a5195847138690c90900e64ff1e4b156',
                     'ae6c248af3e016e772ec482101e8f4879f2d8ae9dd32f1c57493256ff195b589')})}
SETS = ('still', 'signal', 'variant')


def _generate_small(root):
    from maxsight.datasets.synthetic import generate_synthetic_dataset
    from maxsight.datasets.synthetic.variant import generate_variant_split
    generate_synthetic_dataset(str(root / 'still'), num_train=3, num_val=1, seed=3,
                               width=96, height=72, num_train_clips=1, clip_length=3)
    generate_split(str(root / 'signal'), 'train', 2, seed=3, width=96, height=72,
                   traffic_signal=True)
    generate_variant_split(str(root / 'variant'), 'train', 6, seed=3)


def test_the_generator_writes_what_its_version_promises(tmp_path):
    """Every label and audio feature of a small still + clip, signal and variant set, and
    the pixels of the first two, are pinned per generator version: any change to what the
    generator writes (a constant, a noise size, a sound) fails here until the version is
    bumped."""
    import PIL

    from maxsight.datasets.synthetic.generator import GENERATOR_VERSION, SIGNAL_SET_VERSION
    _generate_small(tmp_path)
    data = tuple(_content_digest(tmp_path / name, pixels=False) for name in SETS)
    pixels = tuple(_content_digest(tmp_path / name, pixels=True) for name in SETS[:2])
    pillow = '.'.join(PIL.__version__.split('.')[:2])
    versions = (GENERATOR_VERSION, SIGNAL_SET_VERSION)
    assert versions in GOLDEN, (f'new generator / signal-set versions {versions}: add '
                                f'data={data}, pixels={{{pillow!r}: {pixels}}} to GOLDEN')
    assert data == GOLDEN[versions]['data'], (
        'the generator writes other labels or audio than its version did: bump '
        'GENERATOR_VERSION (or SIGNAL_SET_VERSION) in maxsight/datasets/synthetic/'
        f'generator.py and pin the new digests data={data}')
    if pillow in GOLDEN[versions]['pixels']:  # another Pillow may rasterise differently
        assert pixels == GOLDEN[versions]['pixels'][pillow], (
            'the generator draws other pixels than its version did: bump GENERATOR_VERSION '
            f'(or SIGNAL_SET_VERSION) and pin the new digests pixels={pixels}')


def test_annotations_valid_and_diverse(tmp_path):
    ann_file = generate_split(str(tmp_path), 'train', 60, seed=0, width=160, height=120)
    parsed = parse_coco_file(ann_file, str(tmp_path))  # raises on any invalid record
    data = json.load(open(ann_file))
    assert 'info' in data and len(parsed.classes) == 8
    assert sorted(c['id'] for c in data['categories']) != list(range(1, 9))  # non-contiguous
    lighting = Counter(img['lighting'] for img in data['images'])
    assert set(lighting) == {'dark', 'dim', 'normal', 'bright', 'glare'}
    for img in data['images'][:20]:  # the field is what the pixels say (DESIGN 6)
        assert lighting_from_pixels(read_rgb(osp.join(tmp_path, img['file_name']))) == \
            img['lighting']
    anns = data['annotations']
    assert {a['distance_zone'] for a in anns} == {0, 1, 2}
    assert {a['urgency'] for a in anns} >= {0, 1, 2}
    assert any(a['iscrowd'] for a in anns)  # heavily occluded -> ignore regions
    sizes = {img['id']: (img['width'], img['height']) for img in data['images']}
    for a in anns:  # truncation: share of the box outside the frame
        x, y, w, h = a['bbox']
        width, height = sizes[a['image_id']]
        at_edge = x <= 0 or y <= 0 or x + w >= width - 0.01 or y + h >= height - 0.01
        assert 0.0 <= a['truncation'] < 1.0 and (at_edge or a['truncation'] == 0), a
    assert sum(a['truncation'] > 0 for a in anns) > 10
    heights = sorted(a['bbox'][3] for a in anns)
    assert heights[len(heights) // 10] < 16  # plenty of small objects
    near = [a['bbox'][3] for a in anns if a['distance_zone'] == 0]
    far = [a['bbox'][3] for a in anns if a['distance_zone'] == 2]
    assert sum(near) / len(near) > 3 * sum(far) / len(far)  # perspective


def test_held_out_test_split_is_its_own_stream(tmp_path):
    """--num-test adds a 'test' split that shares no image with 'val' (same seed, own
    random stream) and is regenerated byte-identically."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'make_synthetic_dataset', osp.join(ROOT,
                                           'tools', 'misc', 'make_synthetic_dataset.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for out in ('a', 'b'):
        tool.main(['--out', str(tmp_path / out), '--num-train', '0', '--num-val', '3',
                   '--num-test', '3', '--no-audio', '--width', '96', '--height', '64'])
    a = tmp_path / 'a'
    assert filecmp.cmp(a / 'annotations' / 'test.json', tmp_path / 'b' / 'annotations' /
                       'test.json', shallow=False)
    test = json.load(open(a / 'annotations' / 'test.json'))
    assert [im['file_name'] for im in test['images']] == [f'test/{i:06d}.png' for i in range(3)]
    for i in range(3):
        assert not filecmp.cmp(a / 'test' / f'{i:06d}.png', a / 'val' / f'{i:06d}.png',
                               shallow=False)
    assert len(parse_coco_file(str(a / 'annotations' / 'test.json')).data_list) == 3


def test_variant_set_differs_as_documented_and_is_reproducible(tmp_path):
    import json

    from maxsight.datasets.coco_parsing import parse_coco_file
    from maxsight.datasets.synthetic.variant import (OBJECTS_PER_IMAGE, VARIANT_CLASSES,
                                                     VARIANT_SIZES, generate_variant_split)
    a = generate_variant_split(str(tmp_path / 'a'), 'val', 6, seed=3, annotated_share=0.5)
    b = generate_variant_split(str(tmp_path / 'b'), 'val', 6, seed=3, annotated_share=0.5)
    assert open(a, 'rb').read() == open(b, 'rb').read()
    assert open(tmp_path / 'a' / 'val' / '000004.jpg', 'rb').read() == \
        open(tmp_path / 'b' / 'val' / '000004.jpg', 'rb').read()
    data = json.load(open(a))
    assert {(im['width'], im['height']) for im in data['images']} <= set(VARIANT_SIZES)
    assert len({(im['width'], im['height']) for im in data['images']}) > 1
    assert all('lighting' not in im for im in data['images'])
    assert [c['id'] for c in data['categories']] == [v[1] for v in VARIANT_CLASSES]
    per_image = [sum(a['image_id'] == im['id'] for a in data['annotations'])
                 for im in data['images']]
    assert max(per_image) <= OBJECTS_PER_IMAGE[1] and sum(per_image) / 6 > 5
    annotated = [('urgency' in a) for a in data['annotations']]
    assert 0.3 < sum(annotated) / len(annotated) < 0.7  # about half, as asked
    parsed = parse_coco_file(a, str(tmp_path / 'a'))  # loads as any COCO file does
    assert len(parsed.data_list) == 6 and parsed.cat_ids == (7, 12, 33, 40, 51, 90)
    other = generate_variant_split(str(tmp_path / 'c'), 'val', 6, seed=4)
    assert open(other, 'rb').read() != open(a, 'rb').read()


def test_the_signal_set_changes_only_the_vehicles_urgency_and_shows_its_state():
    """The signal comes from its own random stream (the scene stays the embedded one);
    vehicles follow its state and are marked, every other label is unchanged; the lit
    lamp is red on top at "don't walk", green below at "walk"."""
    import numpy as np
    import pytest

    from maxsight.datasets.labels import signal_urgency_score, urgency_level
    from maxsight.datasets.synthetic.generator import (CLASSES, SIGNAL_HEAD_M, SceneRenderer,
                                                       generate_frames)
    by_id = {c.id: c for c in CLASSES}
    states, vehicles = set(), 0
    for index in range(12):
        plain = generate_frames(0, 'train', index, 160, 120, with_audio=False)[0]
        signal = generate_frames(0, 'train', index, 160, 120, with_audio=False,
                                 traffic_signal=True)[0]
        assert 'traffic_signal' not in plain['record']
        states.add(signal['record']['traffic_signal'])
        held = signal['record']['traffic_signal'] == 'walk'
        head = signal['anns'].pop()  # the signal head, annotated last
        assert head['category_id'] == (201 if held else 202)
        assert head['urgency'] == 0 and 'urgency_context' not in head
        assert 3.5 <= head['distance_m'] <= 6.5
        assert len(plain['anns']) == len(signal['anns'])
        for a, b in zip(plain['anns'], signal['anns']):
            cls = by_id[a['category_id']]
            if cls.name in ('car', 'bicycle'):
                vehicles += 1
                assert b.pop('urgency_context') is True
                cx = (b['bbox'][0] + b['bbox'][2] / 2) / 160
                assert b.pop('urgency') == urgency_level(signal_urgency_score(
                    cls.hazard_prior, b['distance_m'], cx, held))
                a.pop('urgency')
            assert a == b
    assert states == {'walk', 'dont_walk'} and vehicles >= 5
    with pytest.raises(ValueError, match='single images'):
        generate_frames(0, 'train_clips', 0, 160, 120, num_frames=2, traffic_signal=True)

    lamps = {}
    for walk in (False, True):
        renderer = SceneRenderer(np.random.default_rng(1), 320, 240)
        sig = dict(distance=4.0, x_m=0.0, walk=walk)
        img, _ = renderer.render([], np.random.default_rng(2), sig)
        y_at = lambda h: int(round(renderer.horizon + renderer.focal * (1.3 - h) / 4.0))
        span = SIGNAL_HEAD_M[1] - SIGNAL_HEAD_M[0]
        lamps[walk] = [img[y_at(SIGNAL_HEAD_M[0] + f * span), 160].astype(int)
                       for f in (0.75, 0.25)]  # top lamp, bottom lamp
    red, green = lamps[False][0], lamps[True][1]
    assert red[0] > 200 and red[1] < 60 and green[1] > 200 and green[0] < 60
    assert lamps[False][1].max() < 80 and lamps[True][0].max() < 80       # the unlit ones


def test_the_signal_head_box_and_its_occlusion_by_hand():
    import numpy as np
    import pytest

    from maxsight.datasets.synthetic.generator import SIGNAL_CLASSES, SceneRenderer, categories
    renderer = SceneRenderer(np.random.default_rng(1), 320, 240)
    sig = dict(distance=4.0, x_m=0.0, walk=True)
    # 0.4 m wide at 4 m: 0.1 x focal; rows of 2.8 m and 2.0 m above the ground
    x0, y0, x1, y1 = renderer.signal_box(sig)
    f, hz = renderer.focal, renderer.horizon
    assert (x0, x1) == pytest.approx((160 - 0.05 * f, 160 + 0.05 * f))
    assert (y0, y1) == pytest.approx((hz + f * (1.3 - 2.8) / 4, hz + f * (1.3 - 2.0) / 4))
    assert renderer.signal_visible_fraction(sig, []) == 1.0
    left = [round(x0), round(y0) - 5, round((x0 + x1) / 2), round(y1) + 5]  # covers half
    inside = (round(x1) - round(x0))
    half = (round((x0 + x1) / 2) - round(x0)) / inside
    assert renderer.signal_visible_fraction(sig, [dict(box=left)]) == pytest.approx(1 - half)
    assert renderer.signal_visible_fraction(sig, [dict(box=[0, 0, 320, 240])]) == 0.0
    assert renderer.signal_visible_fraction(dict(sig, x_m=-100.0), []) == 0.0  # out of view
    names = [c['name'] for c in categories(traffic_signal=True)][-2:]
    assert names == ['walk signal', "don't walk signal"] == [c.name for c in SIGNAL_CLASSES]
    assert all(c['hazard_prior'] == 0.0 for c in categories(True)[-2:])
    assert len(categories()) == 8


def test_make_synthetic_dataset_writes_the_signal_set_and_refuses_signal_clips(tmp_path,
                                                                                capsys):
    import importlib.util

    import pytest
    spec = importlib.util.spec_from_file_location(
        'make_synthetic_dataset', osp.join(ROOT,
                                           'tools', 'misc', 'make_synthetic_dataset.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(['--signals', '--out', str(tmp_path), '--num-train', '0', '--num-val', '4',
               '--no-audio', '--width', '96', '--height', '64'])
    val = json.load(open(tmp_path / 'annotations' / 'val.json'))
    from maxsight.datasets.synthetic.generator import SIGNAL_SET_VERSION
    assert val['info']['traffic_signal'] == SIGNAL_SET_VERSION
    assert all(im['traffic_signal'] in ('walk', 'dont_walk') for im in val['images'])
    assert [c['id'] for c in val['categories']][-2:] == [201, 202]
    for bad in (['--num-train-clips', '2'], ['--variant']):
        with pytest.raises(SystemExit):
            tool.main(['--signals', '--out', str(tmp_path / 'x')] + bad)
        assert '--signals makes images only' in capsys.readouterr().err


def test_the_documented_size_of_the_signal_panels():
    """docs/data.md and docs/tiers.md: at 256x192 (the configs' scale of the 320x240
    images) a lit panel is 6-13 pixels a side, over every horizon and distance drawn."""
    from maxsight.datasets.synthetic.generator import (CAMERA_HEIGHT_M, MIN_DISTANCE_M,
                                                       SIGNAL_DISTANCE_M, SIGNAL_PANEL_M)
    sides = [SIGNAL_PANEL_M * (240 - share * 240) * MIN_DISTANCE_M / CAMERA_HEIGHT_M / d
             * 256 / 320 for share in (0.36, 0.46) for d in SIGNAL_DISTANCE_M]
    assert (round(min(sides)), round(max(sides))) == (6, 13)
    # docs/tiers.md: the annotated head (0.4 m wide) is 8-17 pixels wide at that scale
    assert (round(min(sides) * 0.4 / 0.3), round(max(sides) * 0.4 / 0.3)) == (8, 17)

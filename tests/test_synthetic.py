import filecmp
import json
import os.path as osp
from collections import Counter

from maxsight.datasets import parse_coco_file
from maxsight.datasets.labels import lighting_from_pixels
from maxsight.datasets.synthetic import generate_split
from maxsight.datasets.transforms import read_rgb


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path):
    a = generate_split(str(tmp_path / 'a'), 'val', 6, seed=5, width=128, height=96)
    b = generate_split(str(tmp_path / 'b'), 'val', 6, seed=5, width=128, height=96)
    c = generate_split(str(tmp_path / 'c'), 'val', 6, seed=6, width=128, height=96)
    assert filecmp.cmp(a, b, shallow=False)
    assert not filecmp.cmp(a, c, shallow=False)
    assert filecmp.cmp(tmp_path / 'a/val/000003.png', tmp_path / 'b/val/000003.png',
                       shallow=False)


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
    heights = sorted(a['bbox'][3] for a in anns)
    assert heights[len(heights) // 10] < 16  # plenty of small objects
    near = [a['bbox'][3] for a in anns if a['distance_zone'] == 0]
    far = [a['bbox'][3] for a in anns if a['distance_zone'] == 2]
    assert sum(near) / len(near) > 3 * sum(far) / len(far)  # perspective

import numpy as np
import pytest
from PIL import Image

from maxsight.datasets import AnnotationError, AssistiveCocoDataset, parse_coco_file
from maxsight.datasets.transforms import ImageLoadError

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='Resize', scale=(40, 40)), dict(type='PackDetInputs')]
CATS = [dict(id=7, name='dog', hazard_prior=0.5), dict(id=42, name='car', hazard_prior=0.9),
        dict(id=3, name='pole')]


def _images(tmp_path):
    Image.fromarray(np.full((20, 40), 200, np.uint8), mode='L').save(tmp_path / 'grey.png')
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 128
    (tmp_path / 'sub').mkdir()
    Image.fromarray(rgba, mode='RGBA').save(tmp_path / 'sub' / 'rgba.png')
    return [dict(id=10, file_name='grey.png', width=40, height=20),
            dict(id=11, file_name='sub/rgba.png', width=40, height=20, lighting='dark')]


def test_noncontiguous_ids_iscrowd_grey_and_rgba(tmp_path, coco_writer):
    images = _images(tmp_path)
    anns = [
        dict(id=1, image_id=10, category_id=42, bbox=[2, 2, 10, 8], area=80, iscrowd=0,
             distance_m=1.5, urgency=3, approach_m_s=1.25, urgency_context=True),
        dict(id=2, image_id=10, category_id=3, bbox=[20, 0, 5, 20], area=100, iscrowd=1),
        dict(id=3, image_id=11, category_id=7, bbox=[0, 0, 40, 20], area=800, iscrowd=0,
             distance_m=8.0, distance_zone=2, urgency=0),
    ]
    ann_file = coco_writer(images, anns, CATS)
    ds = AssistiveCocoDataset(ann_file=ann_file, data_prefix=dict(img=str(tmp_path)),
                              pipeline=PIPELINE, test_mode=True)
    assert ds.metainfo['classes'] == ('dog', 'car', 'pole')
    assert ds.metainfo['cat_ids'] == (7, 42, 3)
    assert len(ds) == 2
    grey = ds[0]
    assert tuple(grey['inputs'].shape) == (3, 20, 40)  # fits (40, 40), ratio kept
    assert grey['inputs'][:, 0, 0].tolist() == [200, 200, 200]
    gt = grey['data_samples'].gt_instances
    assert gt.labels.tolist() == [1]  # car -> contiguous label 1
    assert gt.bboxes.tolist() == [[2.0, 2.0, 12.0, 10.0]]
    assert gt.distance_zone.tolist() == [0] and gt.urgency.tolist() == [3]
    assert gt.zone_derived.tolist() == [True] and gt.distance_derived.tolist() == [False]
    assert gt.approach_m_s.tolist() == [1.25] and gt.urgency_context.tolist() == [True]
    ignored = grey['data_samples'].ignored_instances
    assert ignored.bboxes.tolist() == [[20.0, 0.0, 25.0, 20.0]] and ignored.labels.tolist() == [2]
    # grey image of Y=200 without a lighting field: derived from pixels -> bright
    assert grey['data_samples'].metainfo['lighting'] == 'bright'
    rgba = ds[1]
    assert rgba['inputs'][:, 5, 5].tolist() == [255, 0, 0]
    assert rgba['data_samples'].metainfo['lighting'] == 'dark'
    assert np.isnan(rgba['data_samples'].gt_instances.approach_m_s.numpy()).all()
    assert rgba['data_samples'].gt_instances.urgency_context.tolist() == [False]


def test_derived_fields_from_geometry(tmp_path, coco_writer):
    images = _images(tmp_path)[:1]
    anns = [dict(id=1, image_id=10, category_id=42, bbox=[15, 0, 10, 20], area=200,
                 iscrowd=0)]
    parsed = parse_coco_file(coco_writer(images, anns, CATS), str(tmp_path))
    inst = parsed.data_list[0]['instances'][0]
    # d = 1.5 m * 20 px / 20 px = 1.5 m -> near; centred car (prior 0.9) -> danger
    assert inst['distance_m'] == pytest.approx(1.5)
    assert inst['distance_zone'] == 0 and inst['urgency'] == 3
    assert inst['distance_derived'] and inst['zone_derived'] and inst['urgency_derived']
    assert parsed.data_list[0]['scene_urgency'] == 3


def test_missing_distances_use_the_files_own_scale(tmp_path, coco_writer):
    """Five annotated cars whose distance x box height / image height is 0.8 m (median of
    0.7, 0.8, 0.8, 0.9, 1.0) give an unannotated car d = 0.8 * 20 / 10 = 1.6 m (near);
    the fixed 1.5 m guess would say 3 m (medium). Dogs (one annotated: too few to fit on)
    take the median over all six annotated objects; a category's height_m wins."""
    images = _images(tmp_path)[:1]
    ratios = (0.7, 0.8, 0.8, 0.9, 1.0)
    anns = [dict(id=i + 1, image_id=10, category_id=42, bbox=[0, 0, 4, 10], area=40,
                 iscrowd=0, distance_m=r * 20 / 10) for i, r in enumerate(ratios)]
    anns += [dict(id=6, image_id=10, category_id=7, bbox=[0, 0, 4, 5], area=20, iscrowd=0,
                  distance_m=0.3 * 20 / 5),
             dict(id=7, image_id=10, category_id=42, bbox=[15, 0, 10, 10], area=100,
                  iscrowd=0),
             dict(id=8, image_id=10, category_id=7, bbox=[15, 0, 10, 4], area=40, iscrowd=0),
             dict(id=9, image_id=10, category_id=3, bbox=[15, 0, 10, 5], area=50, iscrowd=0),
             # an ignore region's distance is not fitted on
             dict(id=10, image_id=10, category_id=42, bbox=[0, 0, 4, 10], area=40, iscrowd=1,
                  distance_m=40.0)]
    cats = [dict(CATS[0]), dict(CATS[1]), dict(CATS[2], height_m=2.5)]
    parsed = parse_coco_file(coco_writer(images, anns, cats))
    by_id = {inst['ann_id']: inst for inst in parsed.data_list[0]['instances']}
    assert by_id[7]['distance_m'] == pytest.approx(1.6) and by_id[7]['distance_zone'] == 0
    assert by_id[7]['distance_derived'] and not by_id[1]['distance_derived']
    assert by_id[1]['distance_m'] == pytest.approx(1.4)          # annotated: kept
    assert by_id[8]['distance_m'] == pytest.approx(0.8 * 20 / 4)  # pooled median 0.8
    assert by_id[9]['distance_m'] == pytest.approx(2.5 * 20 / 5)  # declared height_m
    assert parsed.reference_heights == ((pytest.approx(0.8), 'fitted on all 6'),
                                        (pytest.approx(0.8), 'fitted on 5'),
                                        (2.5, 'declared'))
    # annotated zones (from distance): cars 0 0 0 0 1, dog 0. Guessed with the class
    # heights: cars 1.6 m (0) -> 4 agree, dog 3.2 m (1) -> not; with 1.5 m: cars 3 m (1)
    # -> 1 agrees, dog 6 m (2) -> not
    from maxsight.datasets.dataset_check import derived_zone_agreement
    assert derived_zone_agreement(parsed) == dict(annotated=6, class_heights=round(4 / 6, 4),
                                                  fixed_height=round(1 / 6, 4))


def test_bad_height_m_is_refused(tmp_path, coco_writer):
    images = _images(tmp_path)[:1]
    for bad in (-1, 0):
        cats = [dict(CATS[0], height_m=bad)] + CATS[1:]
        ann_file = coco_writer(images, [], cats)
        with pytest.raises(AnnotationError, match=r'categories\[id=7\]: field "height_m": '
                           f'expected a positive number of metres, got {bad}'):
            parse_coco_file(ann_file)


def test_hazard_priors_of_0_and_1_are_accepted_and_above_1_refused(tmp_path, coco_writer):
    cats = [dict(CATS[0], hazard_prior=0), dict(CATS[1], hazard_prior=1)] + CATS[2:]
    parsed = parse_coco_file(coco_writer(_images(tmp_path)[:1], [], cats))
    assert parsed.hazard_priors == (0.0, 1.0, None)


BAD_CASES = [
    ('unknown category', dict(category_id=99), 'annotations[id=1]', 'category_id'),
    ('zero width', dict(bbox=[1, 1, 0, 5]), 'annotations[id=1]', 'bbox'),
    ('zero height', dict(bbox=[1, 1, 5, 0]), 'annotations[id=1]', 'bbox'),
    ('left of the 1-pixel slack', dict(bbox=[-1.01, 1, 5, 5]), 'annotations[id=1]', 'bbox'),
    ('above the 1-pixel slack', dict(bbox=[1, -1.01, 5, 5]), 'annotations[id=1]', 'bbox'),
    ('outside image', dict(bbox=[30, 1, 20, 5]), 'annotations[id=1]', 'bbox'),
    ('string bbox', dict(bbox='1,2,3,4'), 'annotations[id=1]', 'bbox'),
    ('bad image id', dict(image_id=555), 'annotations[id=1]', 'image_id'),
    ('image id a list', dict(image_id=[10]), 'annotations[id=1]', 'image_id'),
    ('bad urgency', dict(urgency=7), 'annotations[id=1]', 'urgency'),
    ('negative distance', dict(distance_m=-2), 'annotations[id=1]', 'distance_m'),
    ('iscrowd type', dict(iscrowd='no'), 'annotations[id=1]', 'iscrowd'),
    ('NaN in bbox', dict(bbox=[1, float('nan'), 3, 3]), 'annotations[id=1]', 'bbox'),
    ('bbox of 3 numbers', dict(bbox=[1, 1, 3]), 'annotations[id=1]', 'bbox'),
    ('bad zone', dict(distance_zone=3), 'annotations[id=1]', 'distance_zone'),
    ('string category id', dict(category_id='42'), 'annotations[id=1]', 'category_id'),
    ('float annotation id', dict(id=1.5), 'annotations[0]', 'id'),
    ('approach not a number', dict(approach_m_s='fast'), 'annotations[id=1]',
     'approach_m_s'),
    ('context flag not a bool', dict(urgency_context='yes'), 'annotations[id=1]',
     'urgency_context'),
]


@pytest.mark.parametrize('name,change,record,field', BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_annotation_names_file_record_field(tmp_path, coco_writer, name, change, record,
                                                field):
    images = _images(tmp_path)[:1]
    ann = dict(id=1, image_id=10, category_id=42, bbox=[2, 2, 10, 8], area=80, iscrowd=0)
    ann.update(change)
    ann_file = coco_writer(images, [ann], CATS)
    with pytest.raises(AnnotationError) as err:
        parse_coco_file(ann_file)
    msg = str(err.value)
    assert ann_file in msg and record in msg and f'"{field}"' in msg
    assert '\n' not in msg
    # the same file with skip_invalid drops the record and counts it
    parsed = parse_coco_file(ann_file, skip_invalid=True)
    assert len(parsed.skipped) == 1 and parsed.data_list[0]['instances'] == []


def test_a_box_within_the_1_pixel_slack_is_kept_and_clipped(tmp_path, coco_writer):
    """Exported files round boxes: up to 1 pixel beyond each edge is accepted (and clipped
    to the image); one beyond that is refused (the cases above)."""
    ann = dict(id=1, image_id=10, category_id=42, bbox=[-1, -1, 42, 22], area=80, iscrowd=0)
    parsed = parse_coco_file(coco_writer(_images(tmp_path)[:1], [ann], CATS))
    assert parsed.data_list[0]['instances'][0]['bbox'] == [0.0, 0.0, 40.0, 20.0]


FILE_LEVEL_CASES = [
    ('bad lighting', lambda d: d['images'][0].update(lighting='sunny'), 'images[id=10]',
     'lighting'),
    ('string width', lambda d: d['images'][0].update(width='40'), 'images[id=10]', 'width'),
    ('duplicate annotation id', lambda d: d['annotations'].append(dict(d['annotations'][0])),
     'annotations[id=1]', 'id'),
    ('category without name', lambda d: d['categories'][0].pop('name'), 'categories[id=7]',
     'name'),
    ('hazard prior above 1', lambda d: d['categories'][1].update(hazard_prior=1.5),
     'categories[id=42]', 'hazard_prior'),
    ('duplicate category id', lambda d: d['categories'][2].update(id=7), 'categories[id=7]',
     'id'),
    ('images not a list', lambda d: d.update(images={}), '', 'images'),
]


@pytest.mark.parametrize('name,mutate,record,field', FILE_LEVEL_CASES,
                         ids=[c[0] for c in FILE_LEVEL_CASES])
def test_bad_records_name_file_record_field(tmp_path, coco_writer, name, mutate, record, field):
    import copy
    data = dict(images=_images(tmp_path), categories=copy.deepcopy(CATS),
                annotations=[dict(id=1, image_id=10, category_id=42, bbox=[2, 2, 10, 8],
                                  area=80, iscrowd=0)])
    mutate(data)
    ann_file = coco_writer(data['images'], data['annotations'], data['categories'])
    with pytest.raises(AnnotationError) as err:
        parse_coco_file(ann_file)
    msg = str(err.value)
    assert ann_file in msg and record in msg and f'"{field}"' in msg and '\n' not in msg


def test_an_annotation_of_a_rejected_image_is_not_called_missing(tmp_path, coco_writer):
    """The image record's own problem comes first; its annotation says that image was
    rejected, where "no image with id 10" would send the user looking for a missing id."""
    images = _images(tmp_path)
    images[0]['width'] = None
    anns = [dict(id=1, image_id=10, category_id=42, bbox=[2, 2, 10, 8], area=80, iscrowd=0),
            dict(id=2, image_id=99, category_id=42, bbox=[2, 2, 10, 8], area=80, iscrowd=0)]
    ann_file = coco_writer(images, anns, CATS)
    parsed = parse_coco_file(ann_file, skip_invalid=True)
    assert [p.split(': ', 1)[1] for p in parsed.skipped] == [
        'images[id=10]: field "width": expected a positive integer, got None',
        'annotations[id=1]: field "image_id": image 10 was rejected (its own problem is '
        'listed)',
        'annotations[id=2]: field "image_id": no image with id 99']


def test_not_json(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [')
    with pytest.raises(AnnotationError, match=r'bad\.json: not valid JSON'):
        parse_coco_file(str(bad))


def test_check_dataset_tool_reports_all_problems(tmp_path, coco_writer, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('check_dataset',
                                                  'tools/misc/check_dataset.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    images = _images(tmp_path) + [dict(id=12, file_name='missing.png', width=4, height=4)]
    anns = [dict(id=1, image_id=10, category_id=99, bbox=[2, 2, 10, 8], area=80, iscrowd=0),
            dict(id=2, image_id=10, category_id=42, bbox=[2, 2, 0, 8], area=0, iscrowd=0),
            dict(id=3, image_id=11, category_id=7, bbox=[0, 0, 8, 8], area=64, iscrowd=0,
                 distance_m=1.0)]
    ann_file = coco_writer(images, anns, CATS)
    assert tool.main([ann_file, '--img-dir', str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert '3 problem(s)' in out
    assert 'annotations[id=1]: field "category_id"' in out
    assert 'annotations[id=2]: field "bbox"' in out
    assert 'images[id=12]: field "file_name": image file not found' in out
    from maxsight.datasets.dataset_check import check_dataset
    report = check_dataset(ann_file, str(tmp_path))
    assert report['stats']['per_class'] == {'dog': 1}
    assert report['stats']['lighting'] == {'bright (derived)': 1, 'dark': 1}
    assert report['stats']['zones'] == {0: 1}
    # one missing image is listed alone; when none is found the report says which folder
    # was searched and what to pass
    assert 'no image file found' not in out
    report = check_dataset(ann_file, str(tmp_path / 'elsewhere'))
    assert report['problems'][-1] == (
        f'{ann_file}: no image file found under "{tmp_path / "elsewhere"}": file_name is '
        'read relative to --img-dir (for DATA_ROOT/annotations/*.json files, --img-dir '
        'DATA_ROOT)')
    assert report['stats']['reference_heights_m'] == {
        'dog': '1.50 (default)', 'car': '1.50 (default)', 'pole': '1.50 (default)'}


def test_duplicate_ids_and_missing_file(tmp_path, coco_writer):
    images = _images(tmp_path)
    images[1]['id'] = 10
    with pytest.raises(AnnotationError, match=r'images\[id=10\]: field "id": duplicate'):
        parse_coco_file(coco_writer(images, [], CATS))
    with pytest.raises(FileNotFoundError, match='annotation file not found'):
        parse_coco_file(str(tmp_path / 'nope.json'))


def test_truncated_and_wrong_size_images(tmp_path, coco_writer):
    images = _images(tmp_path)
    data = (tmp_path / 'grey.png').read_bytes()
    (tmp_path / 'grey.png').write_bytes(data[: len(data) // 2])
    ds = AssistiveCocoDataset(ann_file=coco_writer(images, [], CATS),
                              data_prefix=dict(img=str(tmp_path)), pipeline=PIPELINE,
                              test_mode=True)
    with pytest.raises(ImageLoadError, match=r'grey\.png: cannot decode image'):
        ds[0]
    images[1]['width'] = 41
    ds = AssistiveCocoDataset(ann_file=coco_writer(images, [], CATS, name='b.json'),
                              data_prefix=dict(img=str(tmp_path)), pipeline=PIPELINE,
                              test_mode=True)
    with pytest.raises(ImageLoadError, match=r'images\[id=11\]: field "width"/"height"'):
        ds[1]


def test_flip_moves_boxes(tmp_path, coco_writer):
    from maxsight.datasets.transforms import RandomFlip
    results = dict(img=np.zeros((10, 30, 3), np.uint8),
                   gt_bboxes=np.array([[2, 1, 8, 5]], np.float32))
    out = RandomFlip(prob=1.0)(results)
    assert out['flip'] and out['gt_bboxes'].tolist() == [[22, 1, 28, 5]]

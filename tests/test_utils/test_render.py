"""Pictures: labels inside the image and not overlapping, small images scaled up, the
ground truth beside the prediction, and the visualizer handing them to its backends."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from maxsight.visualization.render import (Objects, draw_panel, legend, place_label,
                                           render_scene, shown_indices)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_stay_inside_and_apart_even_for_piled_up_boxes():
    taken = []
    rects = [place_label((10 + i, 10 + i, 60 + i, 60 + i), (80, 14), (320, 240), taken)
             for i in range(6)]
    rects.append(place_label((300, 230, 320, 240), (80, 14), (320, 240), taken))
    for i, r in enumerate(rects):
        assert 0 <= r[0] and r[2] <= 320 and 0 <= r[1] and r[3] <= 240
        assert not any(_overlap(r, q) for q in rects[:i])


def test_small_images_are_scaled_up_and_gt_sits_beside_the_prediction():
    img = np.full((120, 160, 3), 90, np.uint8)
    obj = Objects(np.array([[10., 10., 50., 60.]]), [0], [0.9], [2.5], [3])
    panel = draw_panel(img, obj, ['car'], 'prediction', min_side=480)
    assert panel.shape == (480, 640, 3)
    assert tuple(panel[40 * 4, 10 * 4 + 1]) == (230, 30, 30)  # the danger colour, scaled box
    both = render_scene(img, obj, ['car'], gt=Objects(obj.boxes, [0], None, [2.4], [3]),
                        scene_urgency=3)
    assert both.shape[1] == 2 * 640 + 8 and both.shape[0] == 480 + legend(1288).shape[0]
    assert shown_indices(np.array([[0, 0, 10, 10], [0, 0, 10, 9], [20, 0, 30, 10.]]),
                         np.array([0.5, 0.9, 0.2]), 0.3).tolist() == [1]


def test_the_legend_shows_each_side_a_hazard_is_heard_on_in_the_danger_colour():
    danger = np.array([230, 30, 30])

    def danger_columns(strip):
        return np.flatnonzero((strip == danger).all(-1).any(0))

    plain, scene_only = legend(640), legend(640, scene_urgency=0)
    one, two = legend(640, 0, heard=['left']), legend(640, 0, heard=['left', 'right'])
    legend_swatch = danger_columns(plain)  # the 'danger' entry of the colour key
    assert np.array_equal(danger_columns(scene_only), legend_swatch)
    boxes = [np.setdiff1d(danger_columns(s), legend_swatch) for s in (one, two)]
    assert len(boxes[0]) > 50 and len(boxes[1]) > 2 * len(boxes[0]) - 10  # one box per side
    assert boxes[0].max() < 640 - 20  # left of the scene box, which stays at the right end
    assert np.array_equal(one[:, -20:], scene_only[:, -20:])


def test_visualizer_sends_the_picture_to_its_backends(tmp_path):
    import glob

    from maxsight.structures import DetDataSample
    from maxsight.visualization import MaxSightVisualizer
    vis = MaxSightVisualizer(name=f'vis_{tmp_path.name}', save_dir=str(tmp_path),
                             vis_backends=[dict(type='LocalVisBackend')])
    sample = DetDataSample(metainfo=dict(scale_factor=(0.5, 0.5), pred_scene_urgency=1))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[20., 20., 80., 90.]]), scores=torch.tensor([0.8]),
        labels=torch.tensor([1]), distance_m=torch.tensor([3.0]), urgency=torch.tensor([2]))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[10., 10., 40., 45.]]),
                                       labels=torch.tensor([1]), urgency=torch.tensor([2]),
                                       distance_m=torch.tensor([3.2]))
    drawn = vis.add_datasample('val_x', np.zeros((100, 120, 3), np.uint8), sample, step=3,
                               class_names=['a', 'b'])
    assert drawn.shape[1] == 2 * 576 + 8  # 120 px wide scaled to a 480 px short side
    files = glob.glob(str(tmp_path / '**' / 'val_x_3.png'), recursive=True)
    assert len(files) == 1
    with pytest.raises(KeyError, match='not registered'):
        from maxsight.registry import VISUALIZERS
        VISUALIZERS.get('NoSuchVisualizer')


def test_training_plots_from_scalars_and_the_last_validation(tmp_path):
    import json

    from PIL import Image

    from maxsight.analysis.run_plots import training_plots
    scalars = tmp_path / 'scalars.json'
    with open(scalars, 'w') as f:
        for it in range(1, 6):
            f.write(json.dumps(dict(lr=0.001 * it, loss=5.0 / it, loss_cls=3.0 / it, iter=it,
                                    step=it)) + '\n')
        for ep in (1, 2):
            f.write(json.dumps({'coco/bbox_mAP': 0.1 * ep, 'urgency/hazard_recall': 0.9,
                                'step': ep}) + '\n')
    written = training_plots(str(scalars), str(tmp_path / 'plots'),
                             {'car': 0.5, 'dog': float('nan')},
                             dict(zone_confusion=[[3, 1, 0], [0, 2, 0], [0, 0, 1]],
                                  urgency_confusion=[[1, 0, 0, 0]] * 4))
    assert [p.rsplit('/', 1)[1] for p in written] == [
        'losses.png', 'val_metrics.png', 'per_class_ap.png', 'confusion_zone.png',
        'confusion_urgency.png']
    assert all(Image.open(p).size[0] >= 300 for p in written)
    assert training_plots(None, str(tmp_path / 'none')) == []


def test_outlines_thicken_with_the_picture_and_the_threshold_is_inclusive():
    """The outline is a sixth of the label size (min side / 32), at least 2 px: 6 px on a
    1080-row picture; a detection scoring exactly the display threshold is shown."""
    img = np.full((1080, 1920, 3), 90, np.uint8)
    panel = draw_panel(img, Objects(np.array([[100., 100., 500., 500.]]), [0], None, None,
                                    [3]), ['car'])
    row = panel[300, 95:110]
    red = [tuple(p) == (230, 30, 30) for p in row]
    assert red == [False] * 5 + [True] * 6 + [False] * 4
    assert shown_indices(np.array([[0, 0, 10, 10.]]), np.array([0.3]), 0.3).tolist() == [0]

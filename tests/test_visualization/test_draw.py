"""draw_objects: boxes in their urgency colour, labels inside the picture, ignore regions
dashed on all four sides, the input left as it was."""
import numpy as np

from maxsight.visualization.draw import IGNORED_GREY, URGENCY_COLORS, draw_objects

GREY_BG = 90


def _draw(boxes, urgency, ignored=None):
    img = np.full((120, 200, 3), GREY_BG, np.uint8)
    out = draw_objects(img, np.array(boxes, float), [0] * len(boxes), ['car'],
                       distance_m=[3.2] * len(boxes), distance_zone=[1] * len(boxes),
                       urgency=urgency, scores=[0.9] * len(boxes),
                       ignored=None if ignored is None else np.array(ignored, float))
    assert (img == GREY_BG).all()  # a copy is drawn on
    return out


def test_a_box_is_outlined_in_its_urgency_colour_and_labelled_above_it():
    out = _draw([[20, 40, 80, 90], [120, 40, 180, 90]], urgency=[0, 3])
    assert tuple(out[65, 20]) == URGENCY_COLORS[0] and tuple(out[65, 180]) == URGENCY_COLORS[3]
    assert (out[60, 50] == GREY_BG).all()  # inside stays as it was
    # the label's background fills the 11 rows above the box, starting at its left edge
    assert tuple(out[30, 21]) == URGENCY_COLORS[0] and tuple(out[30, 121]) == URGENCY_COLORS[3]


def test_a_label_of_a_box_at_the_top_stays_inside_the_picture():
    out = _draw([[20, 3, 80, 60]], urgency=[2])
    assert tuple(out[0, 21]) == URGENCY_COLORS[2]  # moved down to row 0, not cut off


def test_an_ignore_region_is_dashed_grey_on_all_four_sides():
    out = _draw([], urgency=[], ignored=[[110, 30, 180, 100]])
    for y, x in ((30, 111), (100, 111), (31, 110), (31, 180)):  # top, bottom, left, right
        assert tuple(out[y, x]) == IGNORED_GREY, (y, x)
    assert (out[31:41, 110] == GREY_BG).all(axis=1).any()  # dashed: gaps between dashes
    assert (out[60, 140] == GREY_BG).all()

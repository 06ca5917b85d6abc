import math

import pytest

from maxsight.value_checks import is_int, is_number, is_positive_int


@pytest.mark.parametrize('value, int_, positive, number', [
    (1, True, True, True),
    (0, True, False, True),
    (-3, True, False, True),
    (True, False, False, False),  # a bool is an int to isinstance, never to a config
    (False, False, False, False),
    (2.0, False, False, True),
    (0.5, False, False, True),
    (math.inf, False, False, False),
    (math.nan, False, False, False),
    ('3', False, False, False),
    (None, False, False, False),
])
def test_int_positive_int_and_number(value, int_, positive, number):
    assert (is_int(value), is_positive_int(value), is_number(value)) == (int_, positive,
                                                                          number)


@pytest.mark.parametrize('bad', [True, 0, 2.0])
def test_the_head_and_the_dataset_refuse_a_count_that_is_no_positive_int(bad):
    """num_classes and clip_length once let a bool through as 1."""
    from maxsight.datasets import AssistiveCocoDataset
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    with pytest.raises(ValueError, match='num_classes must be a positive int'):
        MultiTaskDenseHead(bad)
    with pytest.raises(ValueError, match='clip_length must be a positive int or None'):
        AssistiveCocoDataset(ann_file='unused.json', clip_length=bad)

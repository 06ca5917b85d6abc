import pytest

from maxsight.registry import MODELS, TASK_UTILS


def test_unknown_type_names_registry_and_suggests():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='MultiTaskDenseHaed', num_classes=3))
    msg = str(err.value)
    assert "'model' registry" in msg and 'MultiTaskDenseHead' in msg


def test_children_are_scoped_and_find_parent_components():
    assert MODELS.scope == 'maxsight' and TASK_UTILS.scope == 'maxsight'
    assert MODELS.get('MaxSightDetector').__name__ == 'MaxSightDetector'
    assert TASK_UTILS.get('HungarianMatcher').__name__ == 'HungarianMatcher'

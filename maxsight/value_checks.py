"""Type checks of values read from configs and annotation files, shared by the models,
datasets and tools. A leaf module (it imports nothing of ``maxsight``), so any package can
use it without an import cycle."""
import math
from typing import Any


def is_int(value: Any) -> bool:
    """An int that is not a bool (``True`` passes ``isinstance(value, int)``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_positive_int(value: Any) -> bool:
    """An int >= 1 that is not a bool."""
    return is_int(value) and value >= 1


def is_number(value: Any) -> bool:
    """A finite int or float that is not a bool."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(float(value)))

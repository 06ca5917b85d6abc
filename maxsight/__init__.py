"""MaxSight: multi-task detectors for assistive vision, on mmengine."""
from . import engine  # noqa: F401  (installs the safe checkpoint loader)

__version__ = '0.1.0'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every component package so its registrations exist, and make ``maxsight``
    the default registry scope (what ``default_scope = 'maxsight'`` in configs does)."""
    from mmengine.registry import DefaultScope

    from . import datasets, engine, evaluation, models  # noqa: F401
    if init_default_scope and not DefaultScope.check_instance_created('maxsight'):
        DefaultScope.get_instance('maxsight', scope_name='maxsight')

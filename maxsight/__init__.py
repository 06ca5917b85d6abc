"""MaxSight: multi-task detectors for assistive vision, on mmengine."""

__version__ = '0.1.0'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every component package so its registrations exist, install MaxSight's
    explicit changes to mmengine (safe checkpoint loading, ``maxsight.engine.checkpoint``;
    the atomic checkpoint storage backend, ``maxsight.engine.atomic_backend``)
    and make ``maxsight`` the default registry scope (what ``default_scope = 'maxsight'``
    in configs does). Tools and ``MaxSightRunner.from_cfg`` call it; so should a script
    that builds components itself."""
    from mmengine.registry import DefaultScope

    from . import datasets, engine, evaluation, models  # noqa: F401
    from .engine.atomic_backend import install_atomic_backend
    from .engine.checkpoint import install_safe_checkpoints
    install_safe_checkpoints()
    install_atomic_backend()
    if init_default_scope and not DefaultScope.check_instance_created('maxsight'):
        DefaultScope.get_instance('maxsight', scope_name='maxsight')

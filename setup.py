"""Packaging for MaxSight: multi-task detectors for assistive vision on mmengine."""
from pathlib import Path

from setuptools import find_packages, setup


def read_requirements(name: str) -> list:
    lines = Path(__file__).with_name('requirements').joinpath(name).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


setup(
    name='maxsight',
    version='0.1.0',
    description='Training and evaluation toolkit for multi-task assistive-vision detectors',
    long_description=Path(__file__).with_name('README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['maxsight', 'maxsight.*']),
    python_requires='>=3.10',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
    },
)

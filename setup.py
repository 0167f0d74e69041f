"""The package list for setuptools; every other piece of metadata is in setup.cfg.

The repository keeps Alembic's scripts in the top-level ``migrations/`` folder; an installed lrs
needs them too, so they are mapped into the package as ``lrs.migrations`` (``lrs migrate`` finds
them there when no checkout is around).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["lrs", "lrs.*"]), "lrs.migrations"],
    package_dir={"lrs.migrations": "migrations"},
    package_data={"lrs.migrations": ["script.py.mako", "versions/*.py"]},
)

"""Embedding lrs in users' own integration tests.

``running_lrs(**settings)`` serves a real lrs on a free ``127.0.0.1`` port for the length of a
``with`` block and yields a ``RunningLrs`` (``endpoint``, ``auth``, ``reset()``...). The pytest
plugin (``lrs.testing.pytest_plugin``, loaded by pytest on its own once lrs is installed) wraps it
in the ``lrs_server`` and ``lrs`` fixtures.

Importing this package is cheap (pytest imports it at start-up through the plugin); the server
and the application are imported on first use of ``running_lrs`` or ``RunningLrs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrs.testing.embedded import RunningLrs, running_lrs

__all__ = ["RunningLrs", "running_lrs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from lrs.testing import embedded

        return getattr(embedded, name)
    raise AttributeError(f"module 'lrs.testing' has no attribute {name!r}")

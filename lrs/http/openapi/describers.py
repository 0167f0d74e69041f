"""Route descriptions by resource class: the xAPI, REST v2 / Connection, aggregation and
service routes.

Classes are matched by their qualified name (``module.Class``), so a description can be
registered here for a resource module that this package does not import.
"""

from __future__ import annotations

from lrs.http.openapi import aggregate, rest, service, xapi
from lrs.http.openapi.model import Describer


def qualified_name(cls: type) -> str:
    """``module.Class`` of a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


DESCRIBERS: dict[str, Describer] = {
    **{
        qualified_name(cls): describer
        for table in (
            xapi.DESCRIBERS,
            rest.DESCRIBERS,
            aggregate.DESCRIBERS,
            service.DESCRIBERS,
        )
        for cls, describer in table.items()
    },
    **service.DESCRIBERS_BY_NAME,
}


def describer_for(resource_class: type) -> Describer | None:
    """The describer of a resource class (or of the nearest base class that has one)."""
    for cls in resource_class.__mro__:
        describer = DESCRIBERS.get(qualified_name(cls))
        if describer is not None:
            return describer
    return None

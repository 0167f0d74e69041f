"""Request bodies on disk: each load client's batches in a file of its own, read as it sends.

Generating a million statements gives about 670 MB of JSON; kept in a list, the bench and (by
fork) its clients would hold all of it. Written here before the clock starts, each client reads
one record at a time from its file (the page cache has just seen it, so reading costs next to
nothing next to a POST), and only the counts of the data set stay in memory.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from tests.bench.data import StatementBatches

_RECORD = struct.Struct("<II")  # statements in the batch, body length in bytes


def spool_batches(batches: StatementBatches, directory: Path, clients: int) -> list[Path]:
    """Generate every batch into ``clients`` files, round-robin (batch i to client i % clients).

    Returns the files in client order; ``batches.dataset()`` is ready afterwards.
    """
    paths = [directory / f"load-client-{index}.batches" for index in range(clients)]
    with ExitStack() as stack:
        files = [stack.enter_context(path.open("wb")) for path in paths]
        remaining = batches.count
        for index, body in enumerate(batches):
            size = min(batches.batch_size, remaining)
            remaining -= size
            out = files[index % clients]
            out.write(_RECORD.pack(size, len(body)))
            out.write(body)
    return paths


def read_batches(path: Path) -> Iterator[tuple[int, bytes]]:
    """(statements, body) of each batch of a spool file, in order."""
    with path.open("rb") as spool:
        while header := spool.read(_RECORD.size):
            size, length = _RECORD.unpack(header)
            body = spool.read(length)
            if len(body) != length:
                raise ValueError(f"{path}: truncated batch")
            yield size, body


def remove(paths: list[Path]) -> None:
    """Delete spool files (quietly if gone)."""
    for path in paths:
        path.unlink(missing_ok=True)

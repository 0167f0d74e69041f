"""Request bodies sent with ``Transfer-Encoding: chunked`` (no ``Content-Length``).

Falcon reads a body only as far as ``Content-Length`` says, so without one a chunked body read
as empty and was never measured against ``LRS_MAX_BODY_BYTES``. ``buffer_chunked_body`` reads it
before routing, at most one byte past the limit, and gives the application a body of known
length; a longer one is marked, and ``ChunkedBodyLimit`` answers 413 before any resource runs.
"""

from __future__ import annotations

import io
from typing import Any

import falcon

from lrs.core.errors import PayloadTooLarge

TOO_LARGE_KEY = "lrs.chunked_body_too_large"


def buffer_chunked_body(environ: dict[str, Any], max_body_bytes: int) -> None:
    """Replace a chunked body without ``Content-Length`` by the bytes read (up to the limit)."""
    if environ.get("CONTENT_LENGTH"):
        return
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    chunks: list[bytes] = []
    size = 0
    while size <= max_body_bytes:
        chunk = stream.read(min(64 * 1024, max_body_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_body_bytes:
        environ[TOO_LARGE_KEY] = max_body_bytes
        environ["wsgi.input"] = io.BytesIO(b"")
        environ["CONTENT_LENGTH"] = "0"
        return
    environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
    environ["CONTENT_LENGTH"] = str(size)


class ChunkedBodyLimit:
    """A 413 for a chunked body that ``buffer_chunked_body`` found over the limit."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse the marked request."""
        limit = req.env.get(TOO_LARGE_KEY)
        if limit is not None:
            raise PayloadTooLarge(
                f"the chunked request body is longer than the limit of {limit} bytes "
                "(LRS_MAX_BODY_BYTES)"
            )

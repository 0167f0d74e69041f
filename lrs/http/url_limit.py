"""Refuse request URLs longer than ``LRS_MAX_URL_BYTES`` with a JSON 414.

gunicorn's own request-line limit tops out at 8190 bytes, too short for long Connection API
filters, so ``lrs.ops.gunicorn_conf`` lifts it and this middleware is the limit instead. gunicorn
still reads a longer line before the application can refuse it: a server reachable from the
internet belongs behind a proxy that bounds request lines (``deploy/nginx/lrs.conf``).
"""

from __future__ import annotations

import falcon


class UrlLengthLimit:
    """A 414 naming the limit for a request target longer than ``max_url_bytes``."""

    def __init__(self, max_url_bytes: int) -> None:
        self._max = max_url_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Measure the request target: gunicorn's ``RAW_URI`` (as sent), or the path and query
        string when that is shorter or missing (other servers; Falcon's test client puts only
        the path there)."""
        query = req.env.get("QUERY_STRING") or ""
        length = max(
            len((req.env.get("RAW_URI") or "").encode("latin-1", "replace")),
            len(req.path.encode()) + (len(query) + 1 if query else 0),
        )
        if length > self._max:
            raise falcon.HTTPUriTooLong(
                description=(
                    f"the request URL is {length} bytes; the limit is {self._max} "
                    "(LRS_MAX_URL_BYTES)"
                )
            )

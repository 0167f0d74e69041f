"""A minimal keep-alive HTTP client for the xAPI, timing each request.

``http.client`` on one connection, kept for as long as the server keeps it: no pooling, no
retries hidden from the caller (a reconnect after the server closed an idle connection is
counted). A server with several workers answers ``Connection: close`` (``LRS_KEEPALIVE_SECONDS``
defaults to 0 there), and ``http.client`` then opens the next request's connection by itself,
inside that request's timing.
"""

from __future__ import annotations

import base64
import http.client
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

XAPI = "/data/xAPI"
STATEMENTS = f"{XAPI}/statements"


@dataclass(frozen=True)
class Credentials:
    """Where the server is and the Basic-auth key and secret of a client with scope ``all``."""

    host: str
    port: int
    key: str
    secret: str

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def headers(self, content_type: str | None = None) -> dict[str, str]:
        """The xAPI request headers (auth, version, and a content type when given)."""
        token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        headers = {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": "1.0.3",
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers


@dataclass(frozen=True)
class Response:
    """Status, body and the seconds from sending the request to reading the whole body."""

    status: int
    body: bytes
    seconds: float
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # names in lower case


class BenchError(RuntimeError):
    """A measurement that cannot be trusted: an error status, a wrong answer, a time-out."""


class XapiClient:
    """One connection to the server, reopened whenever the server closes it."""

    def __init__(self, credentials: Credentials, timeout: float = 60.0) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.reconnects = 0
        self._json_headers = credentials.headers("application/json")
        self._get_headers = credentials.headers()
        self._conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(
            self.credentials.host, self.credentials.port, timeout=self.timeout
        )
        conn.connect()
        return conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request and read the whole response; reconnect once if the server hung up.

        A body goes as JSON; ``extra_headers`` (e.g. ``If-Match``) are added to the xAPI ones.
        """
        headers = self._json_headers if body is not None else self._get_headers
        if extra_headers:
            headers = {**headers, **extra_headers}
        for attempt in (0, 1):
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closes a keep-alive connection idle for longer than its keepalive.
                self._conn.close()
                if attempt:
                    raise
                self.reconnects += 1
                self._conn = self._connect()
                continue
            seconds = time.perf_counter() - started
            return Response(
                response.status,
                data,
                seconds,
                {name.lower(): value for name, value in response.getheaders()},
            )
        raise AssertionError("unreachable")

    def post_json(self, path: str, body: bytes) -> Response:
        """POST a JSON body."""
        return self.request("POST", path, body)

    def get(self, path: str, params: dict[str, str] | None = None) -> Response:
        """GET ``path`` with query parameters."""
        return self.request("GET", f"{path}?{urlencode(params)}" if params else path)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

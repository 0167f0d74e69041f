"""A WSGI application served over real HTTP on a loopback port, from background threads.

Standard library only (``wsgiref`` underneath), one thread per connection. Each connection
carries one request and is closed after the response (``Connection: close``), so keep-alive
clients simply reconnect. The request body is read in full before the application runs:
``Content-Length`` and chunked bodies alike reach it with a ``CONTENT_LENGTH`` (a body above
``max_body_bytes`` is read and dropped, and the application sees only its length, to answer 413),
and a client never has its connection reset under an unread body.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

import orjson

log = logging.getLogger("lrs.testing.server")

WsgiApp = Callable[..., Any]

_READ_BLOCK = 64 * 1024
_MAX_LINE = 65536
# Generous: the application answers an over-long URL itself (its own 414, in JSON).
_MAX_REQUEST_LINE = 1024 * 1024
_IDLE_TIMEOUT_SECONDS = 30.0


class _BodyError(Exception):
    """The request body is not framed as HTTP requires; answered before the app runs."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(ServerHandler):
    """wsgiref's handler, answering HTTP/1.1 with ``Connection: close``."""

    # wsgiref copies the process environment into every request's environ by default (an
    # ``HTTP_*`` variable there would even pose as a request header); an embedded server must
    # not depend on it.
    os_environ: dict[str, str] = {}
    http_version = "1.1"
    wsgi_multithread = True
    wsgi_multiprocess = False

    def cleanup_headers(self) -> None:
        """Add ``Connection: close``: the response ends the connection."""
        super().cleanup_headers()
        self.headers["Connection"] = "close"

    def log_exception(self, exc_info: Any) -> None:
        """An exception the application let escape goes to the log, not to stderr."""
        log.error("the application failed", exc_info=exc_info)


class _ErrorStream(io.TextIOBase):
    """``wsgi.errors``: what the application writes there is logged."""

    def write(self, text: str) -> int:
        """Log one piece of error output."""
        if text.strip():
            log.error("%s", text.rstrip())
        return len(text)


class _RequestHandler(WSGIRequestHandler):
    """One request per connection; the body is read before the application is called."""

    # HTTP/1.1 so that parse_request answers ``Expect: 100-continue`` before the body is read.
    protocol_version = "HTTP/1.1"
    timeout = _IDLE_TIMEOUT_SECONDS
    server: _ThreadedWsgiServer

    def handle(self) -> None:
        """Read the request line, headers and body, run the application, close."""
        try:
            self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
            if not self.raw_requestline:
                return
            self.server.mark_busy()
            if len(self.raw_requestline) > _MAX_REQUEST_LINE:
                self.requestline, self.request_version, self.command = "", "", ""
                self._send_json_error(414, "the request line is too long")
                return
            if not self.parse_request():
                return
            environ = self.get_environ()
            try:
                body = self._read_body(environ)
            except _BodyError as error:
                self._send_json_error(error.status, error.message)
                return
            if body is None:
                return  # the client went away mid-body
            handler = _Handler(
                body, self.wfile, _ErrorStream(), environ, multithread=True, multiprocess=False
            )
            handler.request_handler = self  # wsgiref logs the request through it
            handler.run(self.server.get_app())
        except (TimeoutError, ConnectionError):
            return

    def _read_body(self, environ: dict[str, Any]) -> io.BytesIO | None:
        """The body, de-chunked; sets ``CONTENT_LENGTH``. None when the client disconnected."""
        limit = self.server.max_body_bytes
        coding = self.headers.get("Transfer-Encoding")
        if coding is not None:
            if coding.strip().lower() != "chunked":
                raise _BodyError(501, f"Transfer-Encoding {coding!r} is not supported")
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            body, length = self._read_chunked(limit)
        else:
            declared = environ.get("CONTENT_LENGTH", "").strip()
            if not declared:
                body, length = b"", 0
            elif not (declared.isascii() and declared.isdigit()):
                return io.BytesIO()  # the application rejects the header itself (400)
            else:
                length = int(declared)
                body = self._read_exactly(length, keep=length <= limit)
                if body is None:
                    return None
        environ["CONTENT_LENGTH"] = str(length)
        return io.BytesIO(body if length <= limit else b"")

    def _read_exactly(self, length: int, *, keep: bool) -> bytes | None:
        """``length`` bytes of the body (dropped unless ``keep``); None if the client left."""
        parts: list[bytes] = []
        remaining = length
        while remaining:
            block = self.rfile.read(min(remaining, _READ_BLOCK))
            if not block:
                return None
            remaining -= len(block)
            if keep:
                parts.append(block)
        return b"".join(parts)

    def _read_chunked(self, limit: int) -> tuple[bytes, int]:
        """A chunked body: the bytes kept (at most ``limit``) and the whole length."""
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BodyError(400, "the chunked request body is malformed") from None
            if size < 0:
                raise _BodyError(400, "the chunked request body is malformed")
            if size == 0:
                break
            chunk = self._read_exactly(size, keep=total + size <= limit)
            if chunk is None or self.rfile.readline(_MAX_LINE + 1).strip():
                raise _BodyError(400, "the chunked request body is malformed")
            total += size
            if total <= limit:
                parts.append(chunk)
        while self.rfile.readline(_MAX_LINE + 1).strip():
            pass  # trailer fields: not used
        return (b"".join(parts) if total <= limit else b""), total

    def _send_json_error(self, status: int, message: str) -> None:
        body = orjson.dumps({"errorId": str(uuid.uuid4()), "message": message})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged at DEBUG on ``lrs.testing.server``, not printed to stderr."""
        log.debug("%s %s", self.address_string(), format % args)


class _ThreadedWsgiServer(WSGIServer):
    """``WSGIServer`` with a thread per connection, tracked so ``close`` can end them."""

    request_queue_size = 128

    def __init__(self, port: int, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._busy: set[threading.Thread] = set()  # those that have begun reading a request
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _RequestHandler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup of the address (it can take
        seconds on a badly configured resolver)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection on a thread of its own."""
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"lrs-testing-request-{self.server_port}",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            log.debug("connection from %s failed", client_address, exc_info=True)
        finally:
            self.shutdown_request(request)
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)
                self._busy.discard(threading.current_thread())

    def mark_busy(self) -> None:
        """The calling connection thread has a request under way (``end_connections`` lets it
        finish; a connection still waiting for its request is simply cut)."""
        with self._connections_lock:
            self._busy.add(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection-level failures are logged at DEBUG (socketserver prints them)."""
        log.debug("connection from %s failed", client_address, exc_info=True)

    def end_connections(self, grace_seconds: float) -> None:
        """Cut the connections still waiting for a request; let requests in progress finish for
        up to ``grace_seconds``, then cut those too; wait for every connection thread."""
        with self._connections_lock:
            idle = {t: s for t, s in self._connections.items() if t not in self._busy}
            busy = [t for t in self._connections if t in self._busy]
        _cut(idle.values())
        deadline = time.monotonic() + grace_seconds
        for thread in busy:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._connections_lock:
            remaining = dict(self._connections)
        _cut(remaining.values())
        for thread in [*idle, *remaining]:
            thread.join()


def _cut(sockets: Iterable[socket.socket]) -> None:
    """Shut connections down, so their threads' blocking reads return."""
    for sock in sockets:
        with contextlib.suppress(OSError):  # already closed by its own thread
            sock.shutdown(socket.SHUT_RDWR)


class BackgroundServer:
    """Serves a WSGI app on ``127.0.0.1`` from a background thread until ``stop``.

    ``port`` 0 picks a free port. ``set_app`` swaps the application for the following requests.
    """

    def __init__(self, app: WsgiApp, *, port: int = 0, max_body_bytes: int) -> None:
        self._server = _ThreadedWsgiServer(port, max_body_bytes)
        self._server.set_app(app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lrs-testing-server-{self.port}",
            daemon=True,
        )
        self._stopped = False

    @property
    def port(self) -> int:
        """The port listened on."""
        return self._server.server_port

    def start(self) -> None:
        """Start accepting connections."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """True from ``start`` until ``stop``."""
        return self._thread.is_alive() and not self._stopped

    def set_app(self, app: WsgiApp) -> None:
        """Serve ``app`` from the next request on."""
        self._server.set_app(app)

    def stop(self, grace_seconds: float = 2.0) -> None:
        """Stop accepting, finish or cut open connections, join every thread, close the socket.
        Calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.end_connections(grace_seconds)
        self._server.server_close()

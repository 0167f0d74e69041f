"""gunicorn settings, from ``lrs.core.settings`` (``gunicorn -c python:lrs.ops.gunicorn_conf``).

The in-memory store lives in one process, so it is served by one worker with threads; PostgreSQL
by several workers.

Requests are logged once, by the application's JSON access log (``LRS_ACCESS_LOG``), so gunicorn's
own access log is off. Metrics are added up across workers through prometheus_client's
multiprocess mode: the hooks below give it a directory before the workers are forked, tell it when
a worker exits, and remove the directory they created when gunicorn stops.
"""

import gc
import os
from pathlib import Path
from typing import Any

from lrs.core.settings import Settings
from lrs.http.observe import multiprocess
from lrs.ops import gunicorn_errors

_settings = Settings.from_env()

_host = f"[{_settings.host}]" if ":" in _settings.host else _settings.host
bind = [f"{_host}:{_settings.port}"]
workers = _settings.worker_count
worker_class = "gthread"
threads = _settings.threads
timeout = 60
graceful_timeout = 20
keepalive = _settings.keepalive
loglevel = _settings.log_level
accesslog = None
errorlog = "-"
# Forwarded headers are the application's job (lrs.http.proxies, LRS_TRUSTED_PROXIES, which also
# takes CIDRs); gunicorn's own handling is off so the two cannot disagree. gunicorn would also
# believe X-Forwarded-Ssl and X-Forwarded-Protocol, which nginx passes through from the client.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""
# Long Connection API filters travel in the URL. gunicorn caps a request line at 8190 bytes unless
# the limit is 0 (none); the application refuses URLs over LRS_MAX_URL_BYTES with a JSON 414.
limit_request_line = 0
# A header may carry the URL again (Referer). Above nginx's 68k buffers (deploy/nginx/lrs.conf), so
# a header nginx lets through is not refused here with gunicorn's HTML 400.
limit_request_field_size = _settings.max_url_bytes + 8192
proc_name = "lrs"
# What gunicorn refuses itself (headers over the limits above, a malformed request line) is
# answered in JSON like every other error, not with gunicorn's HTML page.
gunicorn_errors.install()


def post_worker_init(worker: object) -> None:
    """Move everything the worker has loaded so far out of the garbage collector's sight.

    The application's modules, SQLAlchemy metadata and caches live as long as the worker; left
    in the oldest generation, every full collection walked them again (about 60 ms each, a few
    times a minute under load). Frozen, collections only walk what requests allocate.
    """
    gc.collect()
    gc.freeze()


_metrics_directory: Path | None = None
_remove_metrics_directory = False


def on_starting(server: object) -> None:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary directory unless the user set one)
    in the master, so every worker inherits it before it imports prometheus_client."""
    global _metrics_directory, _remove_metrics_directory
    if _settings.metrics:
        _metrics_directory, _remove_metrics_directory = multiprocess.prepare_directory(os.environ)


def child_exit(server: object, worker: Any) -> None:
    """A worker exited: its live gauges go, its counts stay in the totals."""
    if _metrics_directory is not None:
        multiprocess.mark_worker_dead(worker.pid, _metrics_directory)


def on_exit(server: object) -> None:
    """Remove the metrics directory ``on_starting`` created."""
    if _metrics_directory is not None and _remove_metrics_directory:
        multiprocess.remove_directory(_metrics_directory)

"""gunicorn settings, from ``lrs.core.settings`` (``gunicorn -c python:lrs.ops.gunicorn_conf``).

The in-memory store lives in one process, so it is served by one worker with threads; PostgreSQL
by several workers.
"""

import gc

from lrs.core.settings import Settings

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
accesslog = "-" if _settings.log_level == "debug" else None
errorlog = "-"
# Behind nginx: trust X-Forwarded-* only from the local proxy (gunicorn's default is 127.0.0.1).
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "lrs"


def post_worker_init(worker: object) -> None:
    """Move everything the worker has loaded so far out of the garbage collector's sight.

    The application's modules, SQLAlchemy metadata and caches live as long as the worker; left
    in the oldest generation, every full collection walked them again (about 60 ms each, a few
    times a minute under load). Frozen, collections only walk what requests allocate.
    """
    gc.collect()
    gc.freeze()

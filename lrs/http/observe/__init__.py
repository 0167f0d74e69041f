"""Observability: request ids, the JSON access log and Prometheus metrics.

``Observer`` wraps the WSGI application so that every response, whatever produced it, carries an
``X-Request-Id`` and is logged and counted once; ``RequestContext`` is the Falcon middleware that
hands the request id to the request (``req.context.request_id``) and tells the observer what
routing and authentication learnt (route template, client, store, errorId).

This package does not import ``prometheus_client`` on import: the gunicorn master must not load it
before it has set ``PROMETHEUS_MULTIPROC_DIR`` (see ``multiprocess``).
"""

"""The gunicorn settings module: a worker freezes what it loaded before serving."""

from __future__ import annotations

import gc

from lrs.ops import gunicorn_conf


def test_worker_init_freezes_the_loaded_objects() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.post_worker_init(object())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

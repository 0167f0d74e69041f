"""Request ids: the caller's ``X-Request-Id`` when it is a sane token, else a new one."""

from __future__ import annotations

import re
import uuid

HEADER = "X-Request-Id"
ENVIRON_HEADER = "HTTP_X_REQUEST_ID"

# Short, printable and free of anything a log line or header could be split on.
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def is_sane(value: str | None) -> bool:
    """True when ``value`` may be echoed: 1-128 characters of ``A-Z a-z 0-9 . _ : -``."""
    return value is not None and _SANE.fullmatch(value) is not None


def new_request_id() -> str:
    """A fresh id: 32 lowercase hex digits (a random UUID)."""
    return uuid.uuid4().hex


def request_id_for(incoming: str | None) -> str:
    """The id this request goes by: ``incoming`` when it is sane, else a new one."""
    return incoming if is_sane(incoming) else new_request_id()

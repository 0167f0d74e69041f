"""xAPI's alternate request syntax (Communication 1.3): one POST standing for another request.

Browser clients that cannot send custom headers or other methods POST a form to
``/data/xAPI/...?method=PUT``: the form's ``content`` field is the body, the fields named like
headers (``Authorization``, ``X-Experience-API-Version``, ``Content-Type``, ``Content-Length``,
``If-Match``, ``If-None-Match``) are headers, and every other field is a query parameter.
``rewrite`` turns such a WSGI environ into the request it stands for before Falcon sees it; a
malformed one is marked with ``ERROR_KEY`` for the app to answer 400.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlencode

ERROR_KEY = "lrs.alternate_syntax_error"
#: Set (to True) on every request that uses the syntax, well formed or not: xAPI 2.0.0 dropped
#: it, so the app refuses it when the request asks for 2.0.
USED_KEY = "lrs.alternate_syntax"
XAPI_PREFIX = "/data/xAPI"
_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
_FORM_TYPE = "application/x-www-form-urlencoded"
_HEADER_FIELDS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}


def rewrite(environ: dict[str, Any], max_body_bytes: int) -> None:
    """Rewrite an alternate-syntax request in place (other requests are left alone)."""
    if not environ.get("PATH_INFO", "").startswith(XAPI_PREFIX):
        return
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "method" not in query:
        return
    environ[USED_KEY] = True
    if environ.get("REQUEST_METHOD") != "POST":
        environ[ERROR_KEY] = "method: the alternate request syntax must be sent with POST"
        return
    if len(query) > 1 or len(query["method"]) > 1:
        environ[ERROR_KEY] = (
            "method: with the alternate request syntax every parameter except method goes in "
            "the form body"
        )
        return
    method = query["method"][0].upper()
    if method not in _METHODS:
        environ[ERROR_KEY] = f"method: {query['method'][0]!r} is not GET, PUT, POST or DELETE"
        return
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        environ[ERROR_KEY] = (
            f"Content-Type: the alternate request syntax needs {_FORM_TYPE}, not "
            f"{content_type or 'none'}"
        )
        return
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_body_bytes:
        return  # the app answers 413
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        environ[ERROR_KEY] = "content: the form body is not UTF-8"
        return
    _apply(environ, method, form)


def _apply(environ: dict[str, Any], method: str, form: dict[str, list[str]]) -> None:
    params: dict[str, list[str]] = {}
    content = b""
    content_type = None
    for name, values in form.items():
        key = name.lower()
        if key == "content":
            content = values[-1].encode("utf-8")
        elif key == "content-length":
            continue  # recomputed from the content
        elif key in _HEADER_FIELDS:
            if key == "content-type":
                content_type = values[-1]
            environ[_HEADER_FIELDS[key]] = values[-1]
        else:
            params[name] = values
    environ["REQUEST_METHOD"] = method
    environ["QUERY_STRING"] = urlencode(params, doseq=True)
    environ["CONTENT_TYPE"] = content_type or ("application/json" if content else "")
    environ["CONTENT_LENGTH"] = str(len(content))
    environ["wsgi.input"] = io.BytesIO(content)
    environ["lrs.http.alternate_syntax"] = True

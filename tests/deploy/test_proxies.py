"""Forwarded headers count only from trusted proxies; long URLs get a JSON 414.

Through the real Falcon app (``create_app``) with one extra, credential-free route that reports
what the application sees of the request: the scheme, host and URL absolute links are built
from, and the client address an access log records.
"""

from __future__ import annotations

from typing import Any

import falcon
import pytest
from falcon import testing

from lrs.core.settings import Settings, SettingsError, parse_trusted_proxies
from lrs.http.app import create_app
from lrs.http.proxies import CLIENT_ADDRESS_KEY, parse_address
from lrs.store.memory import MemoryStore

HOST = "lrs.internal:8080"
FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "lrs.example.com",
    "X-Forwarded-For": "198.51.100.7",
}


class Probe:
    """``GET /probe``: the request as the application sees it."""

    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Report scheme, host, URLs and addresses."""
        resp.media = {
            "scheme": req.scheme,
            "host": req.host,
            "uri": req.uri,
            "forwarded_uri": req.forwarded_uri,
            "client": req.env.get(CLIENT_ADDRESS_KEY),
            "remote_addr": req.remote_addr,
            "access_route": req.access_route,
        }


def client(trusted: str | None = None, **settings: Any) -> testing.TestClient:
    """The app with ``LRS_TRUSTED_PROXIES=trusted`` (default when None) and the probe route."""
    app = create_app(
        Settings(trusted_proxies=parse_trusted_proxies(trusted), **settings), MemoryStore()
    )
    app.add_route("/probe", Probe())
    return testing.TestClient(app)


def probe(
    test_client: testing.TestClient, peer: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """What ``/probe?x=1`` sees when sent from ``peer`` with ``headers`` to ``HOST``."""
    result = test_client.simulate_get(
        "/probe",
        query_string="x=1",
        headers=headers,
        remote_addr=peer,
        host=HOST.split(":")[0],
        extras={"HTTP_HOST": HOST, "SERVER_PORT": "8080"},
    )
    assert result.status_code == 200, result.text
    return result.json


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_a_trusted_peer_sets_scheme_host_and_client(peer: str) -> None:
    seen = probe(client(), peer, FORWARDED)
    assert seen["scheme"] == "https"
    assert seen["host"] == "lrs.example.com"
    assert seen["uri"] == "https://lrs.example.com/probe?x=1"
    assert seen["forwarded_uri"] == seen["uri"]
    assert seen["client"] == "198.51.100.7"
    # The peer stays the peer.
    assert seen["remote_addr"] == peer


def test_an_untrusted_peer_cannot_spoof_anything() -> None:
    spoofed = {
        **FORWARDED,
        "Forwarded": "for=203.0.113.9;proto=https;host=evil.example",
        "X-Real-IP": "203.0.113.9",
    }
    seen = probe(client(), "192.0.2.10", spoofed)
    assert seen["scheme"] == "http"
    assert seen["host"] == "lrs.internal"
    assert seen["uri"] == "http://lrs.internal:8080/probe?x=1"
    # Falcon's forwarded_* and access_route read the headers themselves: they are gone.
    assert seen["forwarded_uri"] == seen["uri"]
    assert seen["access_route"] == ["192.0.2.10"]
    assert seen["client"] == "192.0.2.10"


def test_without_forwarded_headers_a_trusted_peer_is_the_client() -> None:
    seen = probe(client(), "127.0.0.1")
    assert (seen["scheme"], seen["host"], seen["client"]) == ("http", "lrs.internal", "127.0.0.1")


def test_cidr_networks() -> None:
    app = client("10.0.0.0/8, 2001:db8::/32")
    assert probe(app, "10.20.30.40", FORWARDED)["client"] == "198.51.100.7"
    assert probe(app, "2001:db8::5", FORWARDED)["scheme"] == "https"
    # Loopback is no longer trusted once the setting names other networks.
    assert probe(app, "127.0.0.1", FORWARDED)["client"] == "127.0.0.1"
    assert probe(app, "11.0.0.1", FORWARDED)["scheme"] == "http"


def test_none_trusts_no_peer() -> None:
    seen = probe(client("none"), "127.0.0.1", FORWARDED)
    assert (seen["scheme"], seen["client"]) == ("http", "127.0.0.1")


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        # The client wrote the left entry: only the one the proxy appended counts.
        ("203.0.113.9, 198.51.100.7", "198.51.100.7"),
        # Past trusted hops to the first untrusted one; what is left of it is not believed.
        ("203.0.113.9, 198.51.100.7, 10.0.0.2, 10.0.0.3", "198.51.100.7"),
        # Every hop trusted: the leftmost is the client.
        ("10.0.0.3, 10.0.0.2", "10.0.0.3"),
        # Not an address: the walk stops at the last real one.
        ("unknown, 10.0.0.2", "10.0.0.2"),
        ("", "127.0.0.1"),
        ("[2001:db8::7]:4711, 198.51.100.7:5000", "198.51.100.7"),
    ],
)
def test_x_forwarded_for_is_walked_from_the_right(forwarded_for: str, expected: str) -> None:
    app = client("127.0.0.1, 10.0.0.0/8")
    seen = probe(app, "127.0.0.1", {"X-Forwarded-For": forwarded_for})
    assert seen["client"] == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Proto": "ftp"},
        {"X-Forwarded-Proto": "https, http"},
        {"X-Forwarded-Host": "a.example, b.example"},
        {"X-Forwarded-Host": "evil.example/path"},
        {"X-Forwarded-Host": "evil.example\r\nX: y"},
        {"X-Forwarded-Host": ""},
    ],
)
def test_malformed_values_from_a_trusted_peer_are_ignored(headers: dict[str, str]) -> None:
    seen = probe(client(), "127.0.0.1", headers)
    assert seen["uri"] == "http://lrs.internal:8080/probe?x=1"


def test_a_forwarded_header_is_never_read_even_from_a_trusted_peer() -> None:
    seen = probe(client(), "127.0.0.1", {"Forwarded": "proto=https;host=evil.example"})
    assert seen["forwarded_uri"] == "http://lrs.internal:8080/probe?x=1"


def test_a_forwarded_host_with_a_port_and_an_ipv6_host() -> None:
    app = client()
    seen = probe(app, "127.0.0.1", {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "h:8443"})
    assert seen["uri"] == "https://h:8443/probe?x=1"
    seen = probe(app, "127.0.0.1", {"X-Forwarded-Host": "[2001:db8::1]:8443"})
    assert seen["uri"] == "http://[2001:db8::1]:8443/probe?x=1"


def test_parse_address() -> None:
    assert str(parse_address("::ffff:10.1.2.3")) == "10.1.2.3"
    assert str(parse_address("fe80::1%eth0")) == "fe80::1"
    assert parse_address("") is None
    assert parse_address("[::1") is None
    assert parse_address("example.com") is None


@pytest.mark.parametrize("value", ["banana", "10.0.0.1/8", "10.0.0.0/33", "127.0.0.1, 300.1.1.1"])
def test_bad_trusted_proxies_name_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="LRS_TRUSTED_PROXIES"):
        Settings.from_env({"LRS_TRUSTED_PROXIES": value})


def test_trusted_proxies_default_and_values() -> None:
    assert [str(n) for n in Settings.from_env({}).trusted_proxies] == ["127.0.0.1/32", "::1/128"]
    parsed = Settings.from_env({"LRS_TRUSTED_PROXIES": " 10.0.0.0/8 ,192.0.2.1,"})
    assert [str(n) for n in parsed.trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32"]
    assert Settings.from_env({"LRS_TRUSTED_PROXIES": "NONE"}).trusted_proxies == ()


def test_a_url_over_lrs_max_url_bytes_is_a_json_414() -> None:
    app = client(max_url_bytes=300)
    fits = app.simulate_get("/probe", query_string="q=" + "a" * (300 - len("/probe?q=")))
    assert fits.status_code == 200
    over = app.simulate_get("/probe", query_string="q=" + "a" * (301 - len("/probe?q=")))
    assert over.status_code == 414
    assert over.json["message"] == (
        "the request URL is 301 bytes; the limit is 300 (LRS_MAX_URL_BYTES)"
    )
    # gunicorn's RAW_URI, the target as sent, is what counts when there is one.
    raw = app.simulate_get("/probe", extras={"RAW_URI": "/probe?" + "b" * 400})
    assert raw.status_code == 414


def test_max_url_bytes_setting() -> None:
    assert Settings.from_env({}).max_url_bytes == 65536
    assert Settings.from_env({"LRS_MAX_URL_BYTES": "8192"}).max_url_bytes == 8192
    with pytest.raises(SettingsError, match="LRS_MAX_URL_BYTES must be at least 256"):
        Settings.from_env({"LRS_MAX_URL_BYTES": "10"})


def test_gunicorn_leaves_forwarded_headers_and_long_urls_to_the_app() -> None:
    from lrs.ops import gunicorn_conf

    # gunicorn believing X-Forwarded-* itself could disagree with LRS_TRUSTED_PROXIES.
    assert gunicorn_conf.forwarded_allow_ips == ""
    assert gunicorn_conf.secure_scheme_headers == {}
    assert gunicorn_conf.forwarder_headers == ""
    # 0 is gunicorn's "no limit"; any other value is capped at 8190 bytes.
    assert gunicorn_conf.limit_request_line == 0
    assert gunicorn_conf.limit_request_field_size > Settings().max_url_bytes

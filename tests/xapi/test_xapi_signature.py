"""Signed statements: JWS parsing, algorithms, payload comparison and x5c verification."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from lrs.core.errors import BadRequest
from lrs.xapi.attachments import AttachmentPart, check_attachment_parts, parse_multipart
from lrs.xapi.signature import (
    SIGNATURE_USAGE_TYPE,
    parse_jws,
    verify_signed_statements,
    verify_statement_signature,
)
from tests.xapi.xapi_samples import STATEMENT_ID, edited, full, minimal

DATA = Path(__file__).parent / "data"
HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _certificate(key: Any, signing_key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xAPI test signer")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(signing_key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def x5c(rsa_key: rsa.RSAPrivateKey) -> list[str]:
    der = _certificate(rsa_key, rsa_key).public_bytes(serialization.Encoding.DER)
    return [base64.b64encode(der).decode()]


def _sign(
    key: rsa.RSAPrivateKey,
    payload: Any,
    *,
    alg: str = "RS256",
    header: dict[str, Any] | None = None,
    raw_payload: bytes | None = None,
) -> bytes:
    protected = _b64url(orjson.dumps({"alg": alg, **(header or {})}))
    body = _b64url(raw_payload if raw_payload is not None else orjson.dumps(payload))
    signing_input = protected + b"." + body
    signature = key.sign(signing_input, padding.PKCS1v15(), HASHES.get(alg, hashes.SHA256()))
    return signing_input + b"." + _b64url(signature)


def _signed_statement(
    jws: bytes, base: dict[str, Any] | None = None, **attachment: Any
) -> dict[str, Any]:
    statement = dict(base if base is not None else edited(minimal(), "id", STATEMENT_ID))
    statement["attachments"] = [
        {
            "usageType": SIGNATURE_USAGE_TYPE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": hashlib.sha256(jws).hexdigest(),
            **attachment,
        }
    ]
    return statement


def _payload() -> dict[str, Any]:
    return edited(minimal(), "id", STATEMENT_ID)


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_valid_signature_with_x5c(rsa_key: rsa.RSAPrivateKey, x5c: list[str], alg: str) -> None:
    jws = _sign(rsa_key, _payload(), alg=alg, header={"x5c": x5c})
    verify_statement_signature(_signed_statement(jws), jws)


def test_valid_signature_without_x5c_checks_structure_and_payload(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    jws = _sign(rsa_key, _payload())
    verify_statement_signature(_signed_statement(jws), jws)


def test_payload_compared_under_statement_comparison_rules(
    rsa_key: rsa.RSAPrivateKey, x5c: list[str]
) -> None:
    payload = dict(reversed(list(full().items())))
    payload.pop("stored")
    payload.pop("authority")
    payload["attachments"] = []
    jws = _sign(rsa_key, payload, header={"x5c": x5c})
    received = edited(
        full(), "context.contextActivities.parent", {"id": "http://example.com/activities/quiz"}
    )
    verify_statement_signature(_signed_statement(jws, received), jws)


def test_tampered_payload_is_rejected(rsa_key: rsa.RSAPrivateKey, x5c: list[str]) -> None:
    jws = _sign(
        rsa_key,
        edited(_payload(), "verb.id", "http://example.com/verbs/other"),
        header={"x5c": x5c},
    )
    with pytest.raises(BadRequest, match="not the same statement"):
        verify_statement_signature(_signed_statement(jws), jws, "[0].attachments[0]")


def test_tampered_signature_is_rejected_with_x5c(
    rsa_key: rsa.RSAPrivateKey, x5c: list[str]
) -> None:
    protected, body, _ = _sign(rsa_key, _payload(), header={"x5c": x5c}).split(b".")
    other = _sign(
        rsa_key, edited(_payload(), "verb.id", "http://example.com/x"), header={"x5c": x5c}
    )
    forged = protected + b"." + body + b"." + other.split(b".")[2]
    with pytest.raises(BadRequest, match="does not verify with the x5c certificate"):
        verify_statement_signature(_signed_statement(forged), forged)


def test_certificate_of_another_key_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = _certificate(other, other).public_bytes(serialization.Encoding.DER)
    jws = _sign(rsa_key, _payload(), header={"x5c": [base64.b64encode(der).decode()]})
    with pytest.raises(BadRequest, match="does not verify"):
        verify_statement_signature(_signed_statement(jws), jws)


@pytest.mark.parametrize("alg", ["HS256", "none", "ES256", "PS256", "rs256", None])
def test_other_algorithms_are_rejected(rsa_key: rsa.RSAPrivateKey, alg: str | None) -> None:
    jws = _sign(rsa_key, _payload(), alg=alg)  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match="must be RS256, RS384 or RS512"):
        verify_statement_signature(_signed_statement(jws), jws, "[0].attachments[0]")


@pytest.mark.parametrize(
    ("x5c_value", "message"),
    [
        ("MIIB", "non-empty array of certificates"),
        ([], "non-empty array of certificates"),
        ([1], "non-empty array of certificates"),
        (["not base64!"], "cannot be read"),
        ([base64.b64encode(b"not a certificate").decode()], "cannot be read"),
    ],
)
def test_bad_x5c_is_rejected(rsa_key: rsa.RSAPrivateKey, x5c_value: Any, message: str) -> None:
    jws = _sign(rsa_key, _payload(), header={"x5c": x5c_value})
    with pytest.raises(BadRequest, match=message):
        verify_statement_signature(_signed_statement(jws), jws)


def test_x5c_with_a_non_rsa_key_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    der = _certificate(ec_key, ec_key).public_bytes(serialization.Encoding.DER)
    jws = _sign(rsa_key, _payload(), header={"x5c": [base64.b64encode(der).decode()]})
    with pytest.raises(BadRequest, match="does not hold an RSA key"):
        verify_statement_signature(_signed_statement(jws), jws)


def test_crit_header_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    jws = _sign(rsa_key, _payload(), header={"crit": ["exp"], "exp": 1})
    with pytest.raises(BadRequest, match="'crit'"):
        verify_statement_signature(_signed_statement(jws), jws)


@pytest.mark.parametrize(
    ("jws", "message"),
    [
        (b"only.two", "not a JWS compact serialization"),
        (b"a.b.c.d", "not a JWS compact serialization"),
        (b"%%%.e30.c2ln", "header is not base64url"),
        (_b64url(b"not json") + b".e30.c2ln", "header is not valid JSON"),
        (_b64url(b"[1]") + b".e30.c2ln", "header must be a JSON object"),
        (b"{not json", "JSON serialization is not valid JSON"),
        (b'{"payload": "e30", "signature": "c2ln"}', "no 'protected' member"),
        (b'{"payload": "e30", "signatures": []}', "exactly one signature"),
    ],
)
def test_malformed_jws_is_rejected(jws: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_jws(jws, "[0].attachments[0]")


def test_payload_that_is_not_json_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    broken = orjson.dumps(_payload()).replace(b'"', b"'", 1)
    jws = _sign(rsa_key, None, raw_payload=broken)
    with pytest.raises(BadRequest, match="payload is not valid JSON"):
        verify_statement_signature(_signed_statement(jws), jws)
    jws = _sign(rsa_key, [1, 2])
    with pytest.raises(BadRequest, match="payload must be a JSON object"):
        verify_statement_signature(_signed_statement(jws), jws)


def test_json_serializations(rsa_key: rsa.RSAPrivateKey, x5c: list[str]) -> None:
    protected, payload, signature = _sign(rsa_key, _payload(), header={"x5c": x5c}).split(b".")
    flattened = orjson.dumps(
        {
            "protected": protected.decode(),
            "payload": payload.decode(),
            "signature": signature.decode(),
        }
    )
    verify_statement_signature(_signed_statement(flattened), flattened)
    general = orjson.dumps(
        {
            "payload": payload.decode(),
            "signatures": [{"protected": protected.decode(), "signature": signature.decode()}],
        }
    )
    verify_statement_signature(_signed_statement(general), general)


def test_spec_appendix_d_example_verifies() -> None:
    jws = (DATA / "appendix_d_signature.jws").read_bytes().strip()
    statement = orjson.loads((DATA / "appendix_d_statement.json").read_bytes())
    assert hashlib.sha256(jws).hexdigest() == statement["attachments"][0]["sha2"]
    verify_signed_statements([statement], {statement["attachments"][0]["sha2"]: jws})
    tampered = edited(statement, "timestamp", "2013-04-01T12:00:01Z")
    with pytest.raises(BadRequest, match=r"^\[0\]\.attachments\[0\]: the signed payload"):
        verify_signed_statements([tampered], {statement["attachments"][0]["sha2"]: jws})


def test_signed_multipart_request_end_to_end(rsa_key: rsa.RSAPrivateKey, x5c: list[str]) -> None:
    jws = _sign(rsa_key, _payload(), alg="RS512", header={"x5c": x5c})
    statement = _signed_statement(jws)
    boundary = "-------1234567"
    body = (
        f"\r\n--{boundary}\r\nContent-Type:application/json\r\n\r\n".encode()
        + orjson.dumps(statement)
        + f"\r\n--{boundary}\r\nContent-Type:application/octet-stream\r\n"
        "Content-Transfer-Encoding:binary\r\n"
        f"X-Experience-API-Hash:{hashlib.sha256(jws).hexdigest()}\r\n\r\n".encode()
        + jws
        + f"\r\n--{boundary}--".encode()
    )
    parsed = parse_multipart(body, f"multipart/mixed; boundary={boundary}")
    check_attachment_parts([parsed.statements], parsed.parts)
    verify_signed_statements([parsed.statements], parsed.parts)


def test_signature_attachment_must_be_octet_stream(rsa_key: rsa.RSAPrivateKey) -> None:
    jws = _sign(rsa_key, _payload())
    statement = _signed_statement(jws, contentType="text/plain; charset=ascii")
    parts = {hashlib.sha256(jws).hexdigest(): AttachmentPart(hashlib.sha256(jws).hexdigest(), jws)}
    with pytest.raises(
        BadRequest, match=r"^\[0\]\.attachments\[0\]\.contentType: a signature must be"
    ):
        verify_signed_statements([statement], parts)


def test_signatures_are_found_in_every_statement_of_a_batch(rsa_key: rsa.RSAPrivateKey) -> None:
    good = _sign(rsa_key, _payload())
    bad = _sign(rsa_key, edited(_payload(), "actor.mbox", "mailto:mallory@example.com"))
    statements = [_signed_statement(good), _signed_statement(bad)]
    parts = {hashlib.sha256(jws).hexdigest(): jws for jws in (good, bad)}
    with pytest.raises(BadRequest, match=r"^\[1\]\.attachments\[0\]: the signed payload"):
        verify_signed_statements(statements, parts)


def test_signature_without_data_is_not_checked(rsa_key: rsa.RSAPrivateKey) -> None:
    jws = _sign(rsa_key, edited(_payload(), "verb.id", "http://example.com/x"))
    statement = _signed_statement(jws, fileUrl="https://example.com/sig.jws")
    verify_signed_statements([statement], {})


def test_payload_that_is_not_a_valid_statement_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    jws = _sign(rsa_key, {"actor": "ann", "verb": {"id": "x:y"}, "object": {"id": "x:z"}})
    with pytest.raises(BadRequest, match=r"not a valid statement \(actor: must be an object"):
        verify_statement_signature(_signed_statement(jws), jws)

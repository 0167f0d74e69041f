"""Real nginx for the deployment tests: a self-signed certificate, the shipped site file with its
CHANGE lines filled in, a throwaway main configuration, and nginx run in the foreground."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SITE_FILE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "lrs.conf"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def find_nginx() -> str | None:
    """The nginx binary, or None when it is not installed."""
    for candidate in NGINX_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("nginx")


def write_self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key; returns their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lrs test")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _replace_once(text: str, old: str, new: str) -> str:
    """Replace ``old`` exactly once; fail when the shipped file no longer has it."""
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"deploy/nginx/lrs.conf: expected one {old!r}, found {count}")
    return text.replace(old, new)


def fill_site(
    text: str, *, upstream_port: int, https_port: int, http_port: int, cert: Path, key: Path
) -> str:
    """The shipped site file with its CHANGE lines set for a loopback test; IPv6 listeners go."""
    filled = _replace_once(text, "server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream_port};")
    filled = _replace_once(filled, "listen 80;", f"listen 127.0.0.1:{http_port};")
    filled = _replace_once(
        filled, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"
    )
    filled = _replace_once(filled, "listen [::]:80;\n", "")
    filled = _replace_once(filled, "listen [::]:443 ssl http2;\n", "")
    filled = _replace_once(filled, "/etc/letsencrypt/live/lrs.example.com/fullchain.pem", str(cert))
    filled = _replace_once(filled, "/etc/letsencrypt/live/lrs.example.com/privkey.pem", str(key))
    assert "[::]" not in filled
    return filled


def main_config(directory: Path, site: Path) -> str:
    """An nginx.conf that includes ``site`` and keeps every file nginx writes in ``directory``."""
    # As root nginx would switch its workers to `nobody`, who cannot read the test's directory.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
error_log {directory / "error.log"} info;
events {{
    worker_connections 256;
}}
http {{
    access_log {directory / "access.log"};
{temp}
    default_type application/octet-stream;
    include {site};
}}
"""


@dataclass
class Nginx:
    """A running nginx: its ports, the CA file clients trust, where it logs."""

    https_port: int
    http_port: int
    cafile: Path
    directory: Path

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts only the test certificate."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def error_log(self) -> str:
        """nginx's error log so far (for failure messages)."""
        path = self.directory / "error.log"
        return path.read_text() if path.exists() else ""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@contextmanager
def running_nginx(
    binary: str, directory: Path, *, upstream_port: int, https_port: int, http_port: int
) -> Iterator[Nginx]:
    """Run nginx in the foreground with the shipped site file; stop it on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = write_self_signed(directory)
    site = directory / "lrs.conf"
    site.write_text(
        fill_site(
            SITE_FILE.read_text(),
            upstream_port=upstream_port,
            https_port=https_port,
            http_port=http_port,
            cert=cert,
            key=key,
        )
    )
    conf = directory / "nginx.conf"
    conf.write_text(main_config(directory, site))
    nginx = Nginx(https_port, http_port, cert, directory)
    checked = subprocess.run(
        [binary, "-t", "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if checked.returncode != 0:
        raise AssertionError(f"nginx -t refused the configuration:\n{checked.stderr}")
    output = (directory / "nginx.out").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(directory),
            "-c",
            str(conf),
            "-e",
            str(directory / "error.log"),
            "-g",
            f"daemon off; pid {directory / 'nginx.pid'};",
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        if not (
            _wait_for_port(https_port, process, deadline)
            and _wait_for_port(http_port, process, deadline)
        ):
            raise AssertionError(
                f"nginx did not start:\n{(directory / 'nginx.out').read_text()}\n"
                f"{nginx.error_log()}"
            )
        yield nginx
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        output.close()

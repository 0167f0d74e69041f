"""Run the ADL LRS conformance suite (xAPI 1.0.3, then 2.0.0) against one freshly started lrs.

Usage: ``python -m tests.conformance.run_cts /path/to/lrs-conformance-test-suite [1.0.3|2.0.0]``
(what ``make conformance CTS=... [XAPI=...]`` runs); without a version both suites run, one after
the other, against the same server. The suite is a separate Node project: clone it and run
``npm install`` in it first. The server is ``lrs serve`` on a free loopback port, in memory, or
on ``LRS_DATABASE_URL`` when that is set (the database must be migrated and should be empty: the
suite leaves its data behind). Prints each suite's summary and its failed tests; exits with
the number of failures (capped at 100).
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from lrs.ops.throwaway_postgres import free_port

KEY, SECRET = "conformance-key", "conformance-secret"
#: The versions the suite is run for, in this order, against the same server.
VERSIONS = ("1.0.3", "2.0.0")


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("lrs serve exited before answering")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"lrs serve did not answer at {url}")


def _failures(node: dict[str, Any], path: list[str]) -> list[str]:
    children = node.get("tests") or []
    if not children:
        return (
            [" > ".join([*path, node.get("title", "")])] if node.get("status") == "failed" else []
        )
    found: list[str] = []
    for child in children:
        found += _failures(child, [*path, node.get("title", "")] if node.get("title") else path)
    return found


def _run_suite(suite: Path, endpoint: str, version: str) -> tuple[Any, list[str]]:
    """Run the suite for one xAPI version; its summary and its failed tests."""
    started = time.time()
    subprocess.run(
        [
            "node",
            "bin/console_runner.js",
            "-e",
            endpoint,
            "-a",
            "-u",
            KEY,
            "-p",
            SECRET,
            "-x",
            version,
            "-z",
        ],
        cwd=suite,
        check=False,
        timeout=1800,
    )
    logs = [p for p in glob.glob(str(suite / "logs" / "*.log")) if os.path.getmtime(p) >= started]
    if not logs:
        return "the suite wrote no log: it did not run", ["(no log)"]
    report = json.loads(Path(max(logs, key=os.path.getmtime)).read_text())
    return report.get("summary"), _failures(report.get("log", {}), [])


def main(argv: list[str]) -> int:
    """Start one server, run the suite for each version asked for against it, report."""
    versions = list(VERSIONS)
    if len(argv) == 2 and argv[1] in VERSIONS:
        versions = [argv[1]]
    elif len(argv) != 1:
        argv = []
    if not argv or not (Path(argv[0]) / "bin" / "console_runner.js").is_file():
        print(
            "usage: make conformance CTS=/path/to/lrs-conformance-test-suite (npm installed) "
            "[XAPI=1.0.3|2.0.0]"
        )
        return 2
    suite = Path(argv[0]).resolve()
    port = free_port()
    env = {**os.environ, "LRS_HOST": "127.0.0.1", "LRS_PORT": str(port)}
    env.update(LRS_BOOTSTRAP_KEY=KEY, LRS_BOOTSTRAP_SECRET=SECRET, LRS_LOG_LEVEL="warning")
    lrs = str(Path(sys.executable).with_name("lrs"))
    server = subprocess.Popen([lrs, "serve"], env=env, stdout=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/data/xAPI"
    results: dict[str, tuple[Any, list[str]]] = {}
    try:
        _wait_for(f"{endpoint}/about", server)
        for version in versions:
            results[version] = _run_suite(suite, endpoint, version)
    finally:
        server.terminate()
        server.wait(timeout=30)
    store = "PostgreSQL" if env.get("LRS_DATABASE_URL") else "memory"
    failed = 0
    for version, (summary, failures) in results.items():
        print(f"\nxAPI {version}, store: {store}; summary: {summary}")
        for failure in failures:
            print(f"FAILED {failure}")
        failed += len(failures)
    return min(failed, 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

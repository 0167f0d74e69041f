"""PostgreSQL settings of the bench's throwaway cluster (``BENCH_PG_SETTINGS``).

The cluster (``lrs.ops.throwaway_postgres``) starts with initdb's configuration and, on its
command line, ``fsync=off``, ``synchronous_commit=off``, ``full_page_writes=off`` and
``max_connections=200``: fast to start and stop, not durable. That is the ``default`` profile.

* ``recommended`` restarts it with the settings docs/performance.md recommends for bulk loads:
  more shared buffers, more WAL between checkpoints, spread checkpoints, compressed full-page
  images (lz4 when the server has it, else PostgreSQL's default method);
* ``durable`` (alone or with ``recommended``) puts back PostgreSQL's own defaults for the three
  durability settings, so WAL flushes and full-page images cost what they cost in production
  (with ``full_page_writes=off`` a load writes no full-page image at all).

The overrides go on the server's command line (they outrank the configuration files, as the
cluster's own flags do), by one restart right after the cluster first starts.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import psycopg

from lrs.ops.throwaway_postgres import ThrowawayPostgres

PROFILES = ("default", "recommended")
RECOMMENDED = {
    "shared_buffers": "4GB",
    "max_wal_size": "16GB",
    "wal_compression": "lz4",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
}
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
# What the report prints of the settings in force, whatever the profile.
SHOWN = (
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "checkpoint_completion_target",
    "wal_compression",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
)


@dataclass(frozen=True)
class PgSettings:
    """A settings profile and whether durability is restored."""

    profile: str = "default"
    durable: bool = False

    @classmethod
    def parse(cls, text: str) -> PgSettings:
        """``default``, ``recommended``, ``durable`` or ``recommended,durable``."""
        words = {word.strip() for word in text.split(",") if word.strip()} or {"default"}
        unknown = words - {*PROFILES, "durable"}
        if unknown or words >= set(PROFILES):
            raise ValueError(
                f"{text!r}: one of {', '.join(PROFILES)}, optionally with 'durable' "
                "(e.g. recommended,durable)"
            )
        profile = next((word for word in PROFILES if word in words), "default")
        return cls(profile, "durable" in words)

    @property
    def name(self) -> str:
        """As ``BENCH_PG_SETTINGS`` spells it."""
        return self.profile + (",durable" if self.durable else "")

    def overrides(self) -> dict[str, str]:
        """Settings to put on the server's command line (none for the plain default)."""
        chosen = dict(RECOMMENDED) if self.profile == "recommended" else {}
        if self.durable:
            chosen.update(DURABLE)
        return chosen


def apply(cluster: ThrowawayPostgres, settings: PgSettings) -> dict[str, str]:
    """Restart a running ``cluster`` with ``settings``' overrides; return what was set."""
    overrides = settings.overrides()
    if not overrides:
        return {}
    if overrides.get("wal_compression") == "lz4" and not _has_lz4(cluster):
        overrides["wal_compression"] = "on"
    options = _command_line(cluster, overrides)
    log = cluster.directory / "server.log"
    # ThrowawayPostgres runs pg_ctl as the postgres user when we are root; reuse that.
    cluster._run(
        "pg_ctl",
        "-D",
        str(cluster.data_dir),
        "-o",
        options,
        "-l",
        str(log),
        "-w",
        "-t",
        "120",
        "restart",
    )
    cluster._wait_ready()
    return overrides


def _has_lz4(cluster: ThrowawayPostgres) -> bool:
    """Whether this server was built with lz4 (``wal_compression=lz4`` is refused otherwise)."""
    dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn) as conn:
        try:
            conn.execute("SET wal_compression = 'lz4'")
        except psycopg.errors.InvalidParameterValue:
            return False
    return True


def _command_line(cluster: ThrowawayPostgres, overrides: dict[str, str]) -> str:
    """The running server's options (``postmaster.opts``) less ``-D`` and the overridden
    ``-c`` settings, plus the overrides: what ``pg_ctl restart -o`` gets."""
    words = shlex.split((cluster.data_dir / "postmaster.opts").read_text())[1:]
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else ""
        if word == "-D" or (word == "-c" and value.split("=", 1)[0] in overrides):
            index += 2
            continue
        kept.append(word)
        index += 1
    for name, setting in overrides.items():
        kept += ["-c", f"{name}={setting}"]
    return shlex.join(kept)

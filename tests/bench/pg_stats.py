"""What PostgreSQL says about a load: WAL, checkpoints, analyse state and bytes on disk.

Read through the bench's own connection from the statistics and catalog views, so they hold
whatever the statement schema is: the tables that hold statement data are found by name (every
table whose name starts with ``statement``, plus ``activity_definitions``), not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

# Tables of statement data: found in the catalog by these names (LIKE patterns).
STATEMENT_TABLE_PATTERNS = ("statement%", "activity_definitions")
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


def statement_tables(dsn: str) -> list[str]:
    """Every ordinary or partitioned table holding statement data, as ``schema.table``."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND n.nspname <> ALL (%(system)s) AND n.nspname NOT LIKE 'pg\\_%%'
              AND c.relname LIKE ANY (%(patterns)s)
            ORDER BY n.nspname, c.relname
            """,
            {"system": list(_SYSTEM_SCHEMAS), "patterns": list(STATEMENT_TABLE_PATTERNS)},
        ).fetchall()
    return [row[0] for row in rows]


@dataclass(frozen=True)
class WalSnapshot:
    """Cluster-wide WAL and checkpoint counters at one moment."""

    # pg_current_wal_lsn() in bytes: exact at once. The pg_stat_wal counters are not: a backend
    # that goes idle within a second of its last report holds its counts up to 10 s more
    # (PGSTAT_IDLE_INTERVAL), so read them at least that long after the work to count.
    lsn: int
    wal_bytes: int
    wal_records: int
    wal_fpi: int
    checkpoints_timed: int
    checkpoints_req: int

    @classmethod
    def take(cls, dsn: str) -> WalSnapshot:
        """Read ``pg_stat_wal``, ``pg_stat_bgwriter`` and the current WAL position."""
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                """
                SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
                       w.wal_bytes::bigint, w.wal_records, w.wal_fpi,
                       b.checkpoints_timed, b.checkpoints_req
                FROM pg_stat_wal w CROSS JOIN pg_stat_bgwriter b
                """
            ).fetchone()
        assert row is not None
        return cls(*(int(value) for value in row))

    def __sub__(self, earlier: WalSnapshot) -> WalSnapshot:
        return WalSnapshot(
            self.lsn - earlier.lsn,
            self.wal_bytes - earlier.wal_bytes,
            self.wal_records - earlier.wal_records,
            self.wal_fpi - earlier.wal_fpi,
            self.checkpoints_timed - earlier.checkpoints_timed,
            self.checkpoints_req - earlier.checkpoints_req,
        )


@dataclass(frozen=True)
class AnalyseState:
    """``pg_stat_user_tables``' vacuum and analyse record of one table at one moment."""

    table: str
    last_analyze: datetime | None
    last_autoanalyze: datetime | None
    last_autovacuum: datetime | None
    autoanalyze_count: int
    autovacuum_count: int
    n_mod_since_analyze: int  # lags like the WAL counters (see ``WalSnapshot``)

    @property
    def analysed(self) -> bool:
        """True once ANALYZE or autoanalyze has run on the table."""
        return self.last_analyze is not None or self.last_autoanalyze is not None

    def describe(self) -> str:
        """``analysed 12:00:01`` / ``autoanalysed 12:00:01`` / ``never analysed``."""
        parts = []
        if self.last_analyze is not None:
            parts.append(f"analysed {self.last_analyze:%H:%M:%S}")
        if self.last_autoanalyze is not None:
            parts.append(f"autoanalysed {self.last_autoanalyze:%H:%M:%S}")
        return ", ".join(parts) if parts else "never analysed"

    def to_json(self) -> dict[str, Any]:
        """For the results file."""
        return {
            "table": self.table,
            "last_analyze": _iso(self.last_analyze),
            "last_autoanalyze": _iso(self.last_autoanalyze),
            "last_autovacuum": _iso(self.last_autovacuum),
            "autoanalyze_count": self.autoanalyze_count,
            "autovacuum_count": self.autovacuum_count,
            "n_mod_since_analyze": self.n_mod_since_analyze,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def analyse_states(dsn: str, tables: list[str]) -> list[AnalyseState]:
    """The analyse state of each of ``tables`` (``schema.table``), in that order."""
    if not tables:
        return []
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """
            SELECT quote_ident(schemaname) || '.' || quote_ident(relname), last_analyze,
                   last_autoanalyze, last_autovacuum, autoanalyze_count, autovacuum_count,
                   n_mod_since_analyze
            FROM pg_stat_user_tables
            WHERE quote_ident(schemaname) || '.' || quote_ident(relname) = ANY (%s)
            """,
            (tables,),
        ).fetchall()
    found = {row[0]: AnalyseState(*row) for row in rows}
    return [found[table] for table in tables if table in found]


@dataclass(frozen=True)
class RelationSize:
    """Bytes on disk of one part of a table: its heap, its TOAST or one index."""

    table: str
    part: str  # "heap", "TOAST" or "index <name>"
    bytes: int


def disk_breakdown(dsn: str, tables: list[str]) -> list[RelationSize]:
    """Per table: the heap (main fork with its free-space and visibility maps), the TOAST table
    with its index, and each index (with its free-space map, which a vacuumed btree has);
    together ``pg_total_relation_size`` of each table."""
    sizes: list[RelationSize] = []
    with psycopg.connect(dsn) as conn:
        for table in tables:
            row = conn.execute(
                """
                SELECT pg_relation_size(c.oid, 'main') + pg_relation_size(c.oid, 'fsm')
                       + pg_relation_size(c.oid, 'vm'),
                       CASE WHEN c.reltoastrelid = 0 THEN 0
                            ELSE pg_total_relation_size(c.reltoastrelid) END,
                       pg_total_relation_size(c.oid)
                FROM pg_class c WHERE c.oid = %s::regclass
                """,
                (table,),
            ).fetchone()
            assert row is not None
            heap, toast, total = (int(value) for value in row)
            sizes.append(RelationSize(table, "heap", heap))
            sizes.append(RelationSize(table, "TOAST", toast))
            indexes = conn.execute(
                """
                SELECT c.relname, pg_total_relation_size(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = %s::regclass ORDER BY c.relname
                """,
                (table,),
            ).fetchall()
            sizes += [RelationSize(table, f"index {name}", int(size)) for name, size in indexes]
            counted = heap + toast + sum(int(size) for _, size in indexes)
            if counted != total:  # e.g. a relation kind this breakdown does not know
                sizes.append(RelationSize(table, "other", total - counted))
    return sizes


def settings(dsn: str, names: tuple[str, ...]) -> dict[str, str]:
    """The values in force of ``names``, with their units as SHOW prints them."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", (list(names),)
        ).fetchall()
    return {str(name): str(value) for name, value in rows}

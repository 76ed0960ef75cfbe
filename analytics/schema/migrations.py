"""Numbered schema migrations and the runner that applies the missing ones.

Each migration is a list of idempotent statements (``IF NOT EXISTS``), so two processes
racing through the same migration are harmless; the version row is written after its
statements succeed, and the current version is ``max(version)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from analytics.schema import ddl
from analytics.schema.dialect import WIDE_PART_BYTES, Dialect
from analytics.schema.rollups import (
    AGENT_15M,
    AGENT_STATES_15M,
    QUEUE_15M,
    QUEUE_CALLS_15M,
    ROLLUPS,
    Rollup,
)
from analytics.schema.tables import EVENT_TABLES


class SqlRunner(Protocol):
    """What the migrator needs from an engine adapter."""

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing."""

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a SELECT and return its rows."""


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    description: str
    statements: Callable[[str, Dialect, int | None], list[str]]
    """(database, dialect, raw retention days) -> DDL statements."""


def _event_tables(db: str, dialect: Dialect, retention_days: int | None) -> list[str]:
    return [ddl.create_event_table(db, t, dialect, retention_days)
            for t in EVENT_TABLES.values()]


def _rollups(db: str, dialect: Dialect, _retention_days: int | None) -> list[str]:
    out: list[str] = []
    for rollup in (QUEUE_CALLS_15M, AGENT_STATES_15M):
        out += [rollup.create_table(db, dialect), rollup.create_view(db)]
    return out


def _backfilled(rollup: Rollup, db: str, dialect: Dialect) -> list[str]:
    # Backfilled from raw rows. Truncating first makes a re-run after a crash exact: the
    # sink migrates before its first insert, so nothing else writes meanwhile.
    columns = ", ".join([*(k for k, _ in rollup.keys), *(a for a, _, _ in rollup.aggregates)])
    return [
        rollup.create_table(db, dialect),
        rollup.create_view(db),
        f"TRUNCATE TABLE {db}.{rollup.name}",
        f"INSERT INTO {db}.{rollup.name} ({columns}) {rollup.select_sql(db)}",
    ]


def _queue_rollup(db: str, dialect: Dialect, _retention_days: int | None) -> list[str]:
    return _backfilled(QUEUE_15M, db, dialect)


def _agent_rollup(db: str, dialect: Dialect, _retention_days: int | None) -> list[str]:
    # The view goes first: from then on every insert feeds agent_15m only, never the
    # dropped queue_calls_15m (DROP TABLE: 18.16 has no DROP VIEW).
    return [
        *_backfilled(AGENT_15M, db, dialect),
        f"DROP TABLE IF EXISTS {db}.{QUEUE_CALLS_15M.view}",
        f"DROP TABLE IF EXISTS {db}.{QUEUE_CALLS_15M.name}",
    ]


def _compact_parts(db: str, dialect: Dialect, _retention_days: int | None) -> list[str]:
    # Tables created before the clause existed; on 18.16 there is nothing to change.
    if not dialect.compact_parts:
        return []
    names = [*EVENT_TABLES, *(r.name for r in ROLLUPS)]
    return [f"ALTER TABLE {db}.{name} MODIFY SETTING min_bytes_for_wide_part"
            f" = {WIDE_PART_BYTES}" for name in names]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "raw event tables", _event_tables),
    Migration(2, "15-minute rollups fed by materialized views", _rollups),
    Migration(3, "per-queue 15-minute rollup for dashboards, backfilled", _queue_rollup),
    Migration(4, "per-agent 15-minute rollup for the league, backfilled; queue_calls_15m"
                 " dropped", _agent_rollup),
    Migration(5, "small parts compact where the engine has them (chDB)", _compact_parts),
)


def pending(current: int, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
    """The migrations newer than ``current``, in order."""
    return sorted((m for m in migrations if m.version > current), key=lambda m: m.version)


def current_version(runner: SqlRunner, db: str) -> int:
    """The highest applied version in ``db`` (0 for a fresh database)."""
    rows = runner.query(f"SELECT max(version) FROM {db}.{ddl.SCHEMA_VERSION_TABLE}")
    value = rows[0][0] if rows else 0
    return int(value) if isinstance(value, int | str) and value != "" else 0


def migrate(
    runner: SqlRunner, db: str, dialect: Dialect, retention_days: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Create ``db`` if needed and apply every missing migration; return the new version."""
    runner.execute(ddl.create_database(db))
    runner.execute(ddl.create_schema_version_table(db))
    version = current_version(runner, db)
    for step in pending(version, migrations):
        for statement in step.statements(db, dialect, retention_days):
            runner.execute(statement)
        description = step.description.replace("\\", "\\\\").replace("'", "\\'")
        # INSERT ... SELECT, not VALUES: clickhouse-driver would wait for a data block.
        runner.execute(
            f"INSERT INTO {db}.{ddl.SCHEMA_VERSION_TABLE} (version, description, applied_at)"
            f" SELECT {step.version}, '{description}', now()"
        )
        version = step.version
    return version

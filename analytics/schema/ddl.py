"""DDL text for the event tables, rendered per dialect (pure: no engine is touched here).

Idempotency choice: raw tables are ReplacingMergeTree ordered by a key that ends in
``event_id``, so a duplicate the producer sent twice collapses in merges and disappears
from raw queries read with FINAL. That alone cannot protect the rollups — a materialized
view sees every inserted block, duplicates included — so exactly-once into the tables is
the sink's job: each batch carries a ``sink_batch`` id and a replay first asks which of its
rows already landed (see ``analytics.sink.writer``). ClickHouse's own insert deduplication
only covers Replicated tables, and a replay may cut batches differently anyway.
"""

from __future__ import annotations

import re

from analytics.schema.dialect import Dialect
from analytics.schema.model import EventTable

SCHEMA_VERSION_TABLE = "schema_version"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a safe bare identifier (database names come from config)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def quote(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_database(db: str) -> str:
    """CREATE DATABASE for the analytics schema."""
    return f"CREATE DATABASE IF NOT EXISTS {check_identifier(db)}"


def create_event_table(
    db: str, table: EventTable, dialect: Dialect, retention_days: int | None = None
) -> str:
    """CREATE TABLE for one raw event table in ``db``."""
    cols = ",\n".join(f"    {c.name} {c.ch_type(dialect)}" for c in table.all_columns)
    ttl = dialect.ttl_clause(table.time_column, retention_days)
    settings = dialect.table_settings()
    return (
        f"CREATE TABLE IF NOT EXISTS {check_identifier(db)}.{table.name} (\n{cols}\n)"
        " ENGINE = ReplacingMergeTree()"
        f" PARTITION BY toYYYYMM({table.time_column})"
        f" ORDER BY ({', '.join(table.order_by)})"
        + (f" {ttl}" if ttl else "") + (f" {settings}" if settings else "")
    )


def create_schema_version_table(db: str) -> str:
    """The table recording which migrations ran (one row per applied version)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {check_identifier(db)}.{SCHEMA_VERSION_TABLE} ("
        "version UInt32, description String, applied_at DateTime('UTC'))"
        " ENGINE = MergeTree() ORDER BY version"
    )


def drop_partitions_before(db: str, table: EventTable, partitions: list[int],
                           oldest_kept: int) -> list[str]:
    """Retention where TTL is missing (18.16): drop monthly partitions older than a YYYYMM.

    ``partitions`` are the table's current partition ids (from ``system.parts``).
    """
    return [
        f"ALTER TABLE {check_identifier(db)}.{table.name} DROP PARTITION {p}"
        for p in sorted(set(partitions)) if p < oldest_kept
    ]

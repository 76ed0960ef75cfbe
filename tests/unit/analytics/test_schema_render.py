"""The version-dependent clauses of the one schema source."""

from __future__ import annotations

import pytest

from analytics.schema import CHDB_26, CLICKHOUSE_18, EVENT_TABLES, MIGRATIONS, ROLLUPS
from analytics.schema.ddl import check_identifier, create_event_table, drop_partitions_before
from analytics.schema.migrations import pending
from analytics.schema.tables import QUEUE_CALLS


def test_labels_are_low_cardinality_only_on_chdb() -> None:
    chdb = create_event_table("db", QUEUE_CALLS, CHDB_26)
    server = create_event_table("db", QUEUE_CALLS, CLICKHOUSE_18)
    assert "tenant LowCardinality(String)" in chdb
    assert "LowCardinality" not in server and "tenant String" in server
    for rollup in ROLLUPS:
        assert "LowCardinality" not in rollup.create_table("db", CLICKHOUSE_18)


def test_ttl_only_where_supported() -> None:
    assert "TTL enqueued_at + INTERVAL 90 DAY" in create_event_table(
        "db", QUEUE_CALLS, CHDB_26, retention_days=90)
    assert "TTL" not in create_event_table("db", QUEUE_CALLS, CLICKHOUSE_18, retention_days=90)
    assert drop_partitions_before("db", QUEUE_CALLS, [202301, 202302, 202303], 202303) == [
        "ALTER TABLE db.queue_calls DROP PARTITION 202301",
        "ALTER TABLE db.queue_calls DROP PARTITION 202302"]


def test_small_parts_compact_only_on_chdb() -> None:
    clause = "SETTINGS min_bytes_for_wide_part = 104857600"
    assert create_event_table("db", QUEUE_CALLS, CHDB_26, retention_days=90).endswith(
        f"TTL enqueued_at + INTERVAL 90 DAY {clause}")  # SETTINGS after TTL
    assert "SETTINGS" not in create_event_table("db", QUEUE_CALLS, CLICKHOUSE_18)
    for rollup in ROLLUPS:
        assert rollup.create_table("db", CHDB_26).endswith(clause)
        assert "SETTINGS" not in rollup.create_table("db", CLICKHOUSE_18)
    assert MIGRATIONS[4].statements("db", CLICKHOUSE_18, None) == []
    altered = MIGRATIONS[4].statements("db", CHDB_26, None)
    assert len(altered) == len(EVENT_TABLES) + len(ROLLUPS)
    assert not any("queue_calls_15m" in s for s in altered)  # dropped by migration 4


def test_every_event_table_is_idempotent_by_event_id() -> None:
    for table in EVENT_TABLES.values():
        sql = create_event_table("db", table, CLICKHOUSE_18)
        assert "ReplacingMergeTree" in sql and "event_id)" in sql
        assert "sink_batch UInt64" in sql


def test_no_clause_18_16_lacks() -> None:
    statements = [s for m in MIGRATIONS for s in m.statements("db", CLICKHOUSE_18, 30)]
    text = "\n".join(statements)
    for missing in ("DateTime64", "OVER (", "toStartOfInterval", "SimpleAggregateFunction",
                    "TTL ", "toStartOfWeek"):
        assert missing not in text


def test_pending_migrations_in_order() -> None:
    assert [m.version for m in pending(0)] == [1, 2, 3, 4, 5]
    assert pending(MIGRATIONS[-1].version) == []


@pytest.mark.parametrize("name", ["db; DROP TABLE x", "a.b", "", "1abc"])
def test_database_names_are_plain_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="identifier"):
        check_identifier(name)

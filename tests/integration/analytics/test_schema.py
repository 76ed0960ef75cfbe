"""The one schema source runs on chDB (ClickHouse 26) and on the 18.16 server."""

from __future__ import annotations

from analytics.schema import EVENT_TABLES, MIGRATIONS, ROLLUPS, Dialect, migrate
from analytics.schema.migrations import Migration
from analytics.schema.tables import AGENT_STATES_TABLE, QUEUE_CALLS
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.events import normalize

T0 = 1_700_000_000 - 1_700_000_000 % 900  # a 15-minute boundary


def test_migrate_creates_everything_once(backend: AnalyticsBackend) -> None:
    db = backend.database
    assert migrate(backend, db, backend.dialect) == MIGRATIONS[-1].version
    assert migrate(backend, db, backend.dialect) == MIGRATIONS[-1].version
    versions = backend.query(f"SELECT version FROM {db}.schema_version ORDER BY version")
    assert [int(str(v[0])) for v in versions] == [m.version for m in MIGRATIONS]
    tables = {str(r[0]) for r in backend.query(
        f"SELECT name FROM system.tables WHERE database = '{db}'")}
    expected = set(EVENT_TABLES) | {r.name for r in ROLLUPS} | {r.view for r in ROLLUPS}
    assert expected <= tables


def test_state_interval_is_split_across_buckets(backend: AnalyticsBackend) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect)
    line = normalize("agent_states", {
        "event_id": "s1", "tenant": "t", "agent": "a1", "state": "talk",
        "started_at": T0 + 800, "ended_at": T0 + 2 * 900 + 50})
    backend.insert(AGENT_STATES_TABLE, [line], batch_id=7)
    rows = backend.query(
        f"SELECT toUnixTimestamp(interval_start), sumMerge(seconds) FROM {db}.agent_states_15m"
        " GROUP BY interval_start ORDER BY interval_start")
    assert [(int(str(a)), int(str(b))) for a, b in rows] == [
        (T0, 100), (T0 + 900, 900), (T0 + 1800, 50)]


def test_queue_rollup_keeps_threshold_buckets(backend: AnalyticsBackend) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect)
    base = {"tenant": "t", "queue": "q", "call_id": "c", "enqueued_at": T0 + 10}
    lines = [
        normalize("queue_calls", {**base, "event_id": "1", "outcome": "answered",
                                  "wait_ms": 15_000, "talk_ms": 60_000, "agent": "a"}),
        normalize("queue_calls", {**base, "event_id": "2", "outcome": "abandoned",
                                  "wait_ms": 4_000}),
        normalize("queue_calls", {**base, "event_id": "3", "outcome": "abandoned",
                                  "wait_ms": 45_000}),
    ]
    backend.insert(QUEUE_CALLS, lines, batch_id=9)
    rows = backend.query(
        "SELECT sumMerge(offered), sumMerge(answered_10s), sumMerge(answered_20s),"
        " sumMerge(abandoned_5s), sumMerge(abandoned_30s), maxMerge(longest_wait_ms),"
        f" sumMerge(talk_ms_sum) FROM {db}.agent_15m")
    assert [int(str(v)) for v in rows[0]] == [3, 0, 1, 1, 1, 45_000, 60_000]
    batch = backend.query(f"SELECT count() FROM {db}.queue_calls WHERE sink_batch = 9")
    assert int(str(batch[0][0])) == 3


def test_a_later_migration_applies_alone(backend: AnalyticsBackend) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect)
    seen: list[int] = []

    def add_note(database: str, _dialect: Dialect, _days: int | None) -> list[str]:
        seen.append(nxt)
        return [f"ALTER TABLE {database}.cdr ADD COLUMN note String DEFAULT ''"]

    nxt = MIGRATIONS[-1].version + 1
    later = (*MIGRATIONS, Migration(nxt, "cdr notes", add_note))
    assert migrate(backend, db, backend.dialect, migrations=later) == nxt
    assert migrate(backend, db, backend.dialect, migrations=later) == nxt
    assert seen == [nxt]  # applied once, and the earlier ones were not replayed
    columns = {str(r[0]) for r in backend.query(
        f"SELECT name FROM system.columns WHERE database = '{db}' AND table = 'cdr'")}
    assert "note" in columns


def test_queue_rollup_is_backfilled_exactly_even_when_rerun(backend: AnalyticsBackend) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect, migrations=MIGRATIONS[:2])
    base = {"tenant": "t", "queue": "q", "call_id": "c", "outcome": "answered", "wait_ms": 5}
    lines = [normalize("queue_calls", {**base, "event_id": str(n), "enqueued_at": T0 + n})
             for n in range(500)]
    backend.insert(QUEUE_CALLS, lines, batch_id=3)
    migrate(backend, db, backend.dialect)
    # A crash after the backfill but before the version row: the step runs again.
    for statement in MIGRATIONS[2].statements(db, backend.dialect, None):
        backend.execute(statement)
    offered = backend.query(f"SELECT sumMerge(offered) FROM {db}.queue_15m")
    assert int(str(offered[0][0])) == 500
    backend.insert(QUEUE_CALLS, [normalize("queue_calls", {**base, "event_id": "new",
                                                           "enqueued_at": T0})], batch_id=4)
    offered = backend.query(f"SELECT sumMerge(offered) FROM {db}.queue_15m")
    assert int(str(offered[0][0])) == 501  # fed by its view from then on


def test_tables_of_an_older_schema_get_compact_parts_on_chdb(backend: AnalyticsBackend) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect, migrations=MIGRATIONS[:4])
    backend.execute(f"ALTER TABLE {db}.queue_calls RESET SETTING min_bytes_for_wide_part"
                    if backend.dialect.compact_parts else "SELECT 1")  # as created before 5
    migrate(backend, db, backend.dialect)
    for name in ("queue_calls", "agent_15m", "queue_15m"):
        ddl_text = str(backend.query(f"SHOW CREATE TABLE {db}.{name}")[0][0])
        assert ("min_bytes_for_wide_part = 104857600" in ddl_text) is \
            backend.dialect.compact_parts, ddl_text

"""The per-agent 15-minute rollup: backfilled by its migration, fed by its view, and
giving the same numbers as raw rows, on chDB and on the 18.16 server."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from analytics.kpis import Dimension, Grain, KpiQuery, Source, queue_kpis
from analytics.kpis.sql import queue_kpis_sql
from analytics.schema import MIGRATIONS, migrate
from analytics.schema.tables import QUEUE_CALLS
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.events import normalize

START = datetime(2026, 1, 31, 16, tzinfo=UTC)  # Feb 1st, midnight in Shanghai
DAYS = 3


def _calls(n: int, seed: int, first: int = 0) -> list[str]:
    """Calls over three days (and a month boundary), many agents, every outcome."""
    rng = random.Random(seed)
    t0 = int(START.timestamp()) - 3600  # some fall before the range: must be left out
    out = []
    for i in range(first, first + n):
        outcome = rng.choice(["answered"] * 6 + ["abandoned", "overflowed", "timed_out"])
        answered = outcome == "answered"
        out.append(normalize("queue_calls", {
            "event_id": f"c{i}", "tenant": rng.choice(["acme", "acme", "other"]),
            "queue": f"q{rng.randrange(4)}", "skill": f"s{rng.randrange(3)}",
            "call_id": f"call{i}", "enqueued_at": t0 + rng.randrange(DAYS * 86400 + 7200),
            "outcome": outcome, "wait_ms": rng.randrange(0, 90_000),
            "talk_ms": rng.randrange(1, 600_000) if answered else 0,
            "hold_ms": rng.randrange(0, 60_000) if answered else 0,
            "wrap_ms": rng.randrange(0, 30_000) if answered else 0,
            "transferred": int(answered and rng.random() < 0.1),
            "agent": f"a{rng.randrange(12)}" if answered else "",
        }))
    return out


def _both(backend: AnalyticsBackend, grain: Grain, **kw: Any) -> tuple[list[Any], ...]:
    rows: list[list[Any]] = []
    for source in (Source.ROLLUP, Source.RAW):
        q = KpiQuery("acme", START, START + timedelta(days=DAYS), grain, source=source, **kw)
        rows.append(list(queue_kpis(backend, q)))
    return tuple(rows)


@pytest.mark.parametrize(("grain", "kw"), [
    (Grain.MONTH, {"by": (Dimension.AGENT,)}),
    (Grain.DAY, {"by": (Dimension.AGENT,), "sl_threshold_s": 30, "short_abandon_s": 10}),
    (Grain.MIN15, {"by": (Dimension.TENANT, Dimension.AGENT), "agents": ("a1", "a7")}),
    (Grain.HOUR, {"agents": ("a3",), "sl_threshold_s": 10, "short_abandon_s": 5}),
])
def test_agent_rollup_equals_raw_rows(backend: AnalyticsBackend, grain: Grain,
                                      kw: dict[str, object]) -> None:
    migrate(backend, backend.database, backend.dialect)
    lines = _calls(3000, seed=7)
    backend.insert(QUEUE_CALLS, lines[:1800], batch_id=1)
    backend.insert(QUEUE_CALLS, lines[1800:], batch_id=2)
    rollup_sql = queue_kpis_sql(backend.database, KpiQuery(
        "acme", START, START + timedelta(days=DAYS), grain, source=Source.ROLLUP,
        **kw))  # type: ignore[arg-type]
    assert ".agent_15m " in rollup_sql
    from_rollup, from_raw = _both(backend, grain, **kw)
    assert len(from_rollup) > 3
    assert from_rollup == from_raw  # every measure of every bucket and group


def test_agent_rollup_is_backfilled_from_existing_rows(backend: AnalyticsBackend) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect, migrations=MIGRATIONS[:3])  # before agent_15m
    backend.insert(QUEUE_CALLS, _calls(1500, seed=3), batch_id=5)
    assert migrate(backend, db, backend.dialect) == MIGRATIONS[-1].version
    # A crash after the backfill but before the version row: the step runs again.
    for statement in MIGRATIONS[3].statements(db, backend.dialect, None):
        backend.execute(statement)
    backend.insert(QUEUE_CALLS, _calls(500, seed=4, first=1500), batch_id=6)  # via the view
    per_agent = {(str(t), str(a)): int(str(n)) for t, a, n in backend.query(
        f"SELECT toString(tenant), toString(agent), sumMerge(offered) FROM {db}.agent_15m"
        " GROUP BY tenant, agent")}
    raw = {(str(t), str(a)): int(str(n)) for t, a, n in backend.query(
        f"SELECT toString(tenant), toString(agent), count() FROM {db}.queue_calls"
        " GROUP BY tenant, agent")}
    assert per_agent == raw and sum(raw.values()) == 2000
    tables = {str(r[0]) for r in backend.query(
        f"SELECT name FROM system.tables WHERE database = '{db}'")}
    assert "queue_calls_15m" not in tables and "queue_calls_15m_mv" not in tables
    from_rollup, from_raw = _both(backend, Grain.DAY, by=(Dimension.AGENT,))
    assert from_rollup == from_raw

"""A batch whose raw rows landed but whose rollup part did not (the state a kill -9 in the
middle of an insert leaves on chDB) is repaired when the batch is settled."""

from __future__ import annotations

from pathlib import Path

from analytics.schema import EVENT_TABLES, migrate
from analytics.schema.rollups import AGENT_15M, AGENT_STATES_15M
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.batches import flush_one
from analytics.sink.dead_letters import DeadLetters
from analytics.sink.events import normalize
from analytics.sink.spool import InFlight, Spool
from tests.integration.analytics.sink_child import event

JAN_31 = 1_769_817_600  # 2026-01-31 00:00 UTC: the batch spans January and February


def _state(n: int) -> dict[str, object]:
    start = JAN_31 + 86400 - 1000 + n * 100  # some intervals cross into February
    return {"event_id": f"s{n}", "tenant": "t1", "agent": f"a{n % 3}", "state": "talk",
            "started_at": start, "ended_at": start + 1500}


def _one(backend: AnalyticsBackend, sql: str) -> int:
    return int(str(backend.query(sql)[0][0]))


def test_rollups_missing_a_landed_batch_are_refilled(backend: AnalyticsBackend,
                                                     tmp_path: Path) -> None:
    db = backend.database
    migrate(backend, db, backend.dialect)
    before = [("queue_calls", normalize("queue_calls", event(n))) for n in range(50)]
    backend.insert(EVENT_TABLES["queue_calls"], [line for _, line in before], batch_id=11)

    calls = [{**event(n), "enqueued_at": JAN_31 + 86400 - 3000 + n * 7} for n in range(50, 950)]
    records = [("queue_calls", normalize("queue_calls", e)) for e in calls]
    records += [("agent_states", normalize("agent_states", _state(n))) for n in range(20)]
    spool = Spool(tmp_path / "spool")
    end = spool.append([(t, r, 1) for t, r in records])
    spool.begin(InFlight(42, spool.checkpoint, end))
    # The engine committed the raw parts, then died before the views' parts.
    for rollup in (AGENT_15M, AGENT_STATES_15M):
        backend.execute(f"DROP TABLE {db}.{rollup.view}")
    # Insert ids are the batch id + k, tables in name order: agent_states 42, queue_calls 43.
    backend.insert(EVENT_TABLES["agent_states"],
                   [r for t, r in records if t == "agent_states"], 42)
    backend.insert(EVENT_TABLES["queue_calls"], [r for t, r in records if t == "queue_calls"], 43)
    for rollup in (AGENT_15M, AGENT_STATES_15M):
        backend.execute(rollup.create_view(db))
    assert _one(backend, f"SELECT sumMerge(offered) FROM {db}.agent_15m") == 50

    outcome = flush_one(spool, backend, DeadLetters(tmp_path / "dead.jsonl"), 100_000)

    assert outcome.inserted == 0 and outcome.already_present == 920
    assert outcome.rollup_keys_repaired > 0 and outcome.rollup_keys_inconsistent == 0
    assert spool.inflight is None
    assert _one(backend, f"SELECT count() FROM {db}.queue_calls") == 950
    assert _one(backend, f"SELECT sumMerge(offered) FROM {db}.agent_15m") == 950
    assert _one(backend, f"SELECT sumMerge(offered) FROM {db}.queue_15m") == 950  # untouched
    assert _one(backend, f"SELECT sumMerge(seconds) FROM {db}.agent_states_15m") == 20 * 1500
    months = backend.query(f"SELECT DISTINCT toYYYYMM(interval_start) FROM {db}.agent_15m")
    assert sorted(int(str(m[0])) for m in months) == [202311, 202601, 202602]

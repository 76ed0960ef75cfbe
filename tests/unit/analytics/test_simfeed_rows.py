"""The simulator-to-rows mapping on a tiny hand-checked run (pure: no engine of ours)."""

from __future__ import annotations

import itertools

import pytest

from analytics.simfeed import UnfinishedCall, call_rows, record, state_rows
from analytics.sink.events import normalize
from control_plane.acd.sim.scenarios import single_queue

BASE = 1_772_406_000


def test_rows_follow_the_schema_and_the_history() -> None:
    history = record(single_queue(2, 40.0, 120.0, hours=1.0, seed=3, mean_patience_s=60.0))
    rows = list(call_rows(history, BASE))
    states = list(state_rows(history, BASE))
    for table, row in [*rows, *(("agent_states", s) for s in states)]:
        normalize(table, row)  # raises MalformedEvent on any schema breach
    cdrs = [r for t, r in rows if t == "cdr"]
    segments = [r for t, r in rows if t == "queue_calls"]
    assert len(cdrs) == len(segments) == len(history.calls)
    for row in segments:
        call = history.calls[str(row["call_id"])]
        assert call.outcome is not None
        assert row["outcome"] == call.outcome.value
        assert row["wait_ms"] == int(call.waited_s * 1000)
        if call.connected_at is not None and call.hung_up_at is not None:
            assert row["talk_ms"] == int(
                ((BASE + call.hung_up_at) - (BASE + call.connected_at)) * 1000)
            assert row["wrap_ms"] == int(call.wrap_s * 1000)
        else:
            assert (row["talk_ms"], row.get("wrap_ms", 0)) == (0, 0)
    # Every agent's states tile its logged-in time with no gap or overlap.
    for agent in {s["agent"] for s in states}:
        own = sorted((s for s in states if s["agent"] == agent),
                     key=lambda s: float(str(s["started_at"])))
        for a, b in itertools.pairwise(own):
            assert a["ended_at"] == b["started_at"]


def test_a_call_without_an_outcome_is_refused() -> None:
    history = record(single_queue(1, 30.0, 60.0, hours=0.5, seed=1))
    call = next(iter(history.calls.values()))
    call.outcome = None
    with pytest.raises(UnfinishedCall, match=r"simfeed\.unfinished_call"):
        list(call_rows(history, BASE))

"""Validation of producer events against the schema source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from analytics.sink.events import MalformedEvent, decode, normalize

CALL = {
    "event_id": "e1", "tenant": "t", "queue": "q", "call_id": "c", "enqueued_at": 1_700_000_000,
    "outcome": "answered", "wait_ms": 1200,
}


def test_defaults_fill_optional_columns_in_table_order() -> None:
    row = decode("queue_calls", normalize("queue_calls", CALL))
    assert list(row)[:3] == ["event_id", "tenant", "queue"]
    assert normalize("queue_calls", CALL).startswith('["e1","t","q",')  # values, no keys
    assert row["talk_ms"] == 0 and row["agent"] == "" and row["skill"] == ""
    assert "sink_batch" not in row  # the sink adds it at insert


def test_aware_datetime_becomes_epoch_seconds() -> None:
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2023, 11, 15, 6, 13, 20, tzinfo=shanghai)
    row = decode("queue_calls", normalize("queue_calls", {**CALL, "enqueued_at": at}))
    assert row["enqueued_at"] == int(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(("change", "reason"), [
    ({"enqueued_at": datetime(2023, 1, 1)}, "naive datetime"),  # naive on purpose
    ({"outcome": "lost"}, "is not one of"),
    ({"wait_ms": -1}, "outside UInt32"),
    ({"wait_ms": "12"}, "must be an integer"),
    ({"queue": 5}, "must be a string"),
    ({"colour": "red"}, "unknown columns ['colour']"),
    ({"event_id": ""}, "event_id must be"),
])
def test_malformed_events_are_refused_with_a_reason(change: dict[str, object],
                                                    reason: str) -> None:
    with pytest.raises(MalformedEvent, match=None) as info:
        normalize("queue_calls", {**CALL, **change})
    assert reason in info.value.reason


def test_missing_required_column() -> None:
    event = {k: v for k, v in CALL.items() if k != "wait_ms"}
    with pytest.raises(MalformedEvent, match="missing required column wait_ms"):
        normalize("queue_calls", event)


def test_state_interval_must_end_after_it_starts() -> None:
    base = {"event_id": "s", "tenant": "t", "agent": "a", "state": "talk",
            "started_at": 1000, "ended_at": 999}
    with pytest.raises(MalformedEvent, match="ended_at"):
        normalize("agent_states", base)
    assert normalize("agent_states", {**base, "ended_at": 1000})


def test_arrays_and_floats() -> None:
    row = decode("routing_decisions", normalize("routing_decisions", {
        "event_id": "d", "tenant": "t", "queue": "q", "call_id": "c", "decided_at": 5,
        "strategy": "longest-idle", "candidates": ["a", "b"], "scores": [1, 0.5]}))
    assert row["candidates"] == ["a", "b"] and row["scores"] == [1.0, 0.5]
    with pytest.raises(MalformedEvent, match="finite"):
        normalize("cdr", {"event_id": "x", "tenant": "t", "call_id": "c",
                          "direction": "inbound", "started_at": 1, "ended_at": 2,
                          "sip_code": 200, "mos": float("nan")})

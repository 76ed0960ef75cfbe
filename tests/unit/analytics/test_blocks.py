"""Column blocks: validated per column, bad rows refused with reasons, the rest kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from analytics.sink.blocks import MAX_BLOCK_ROWS, block_event_ids, validate_block
from analytics.sink.events import MalformedEvent


def _calls(n: int) -> dict[str, list[object]]:
    return {
        "event_id": [f"e{i}" for i in range(n)], "tenant": ["t"] * n, "queue": ["q"] * n,
        "call_id": [f"c{i}" for i in range(n)],
        "enqueued_at": [1_700_000_000 + i for i in range(n)],
        "outcome": ["answered"] * n, "wait_ms": [1000 * i for i in range(n)],
    }


def test_good_block_keeps_table_order_and_defaults() -> None:
    block = validate_block("queue_calls", _calls(3))
    assert block.rows == 3 and not block.rejected
    assert list(block.columns)[:4] == ["event_id", "tenant", "queue", "skill"]
    assert block.columns["talk_ms"] == [0, 0, 0]
    payload = block.to_json()
    assert json.loads(payload)["wait_ms"] == [0, 1000, 2000]
    assert block_event_ids(payload) == ["e0", "e1", "e2"]


def test_bad_rows_are_refused_with_their_reason_and_the_rest_converted() -> None:
    cols = _calls(4)
    cols["outcome"][1] = "lost"
    cols["wait_ms"][2] = -5
    cols["enqueued_at"][3] = datetime(2026, 3, 2, tzinfo=UTC)  # converted, not refused
    block = validate_block("queue_calls", cols)
    assert block.columns["event_id"] == ["e0", "e3"]
    assert block.columns["enqueued_at"][1] == int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())
    reasons = [reason for reason, _ in block.rejected]
    assert "outcome='lost'" in reasons[0] and "outside UInt32" in reasons[1]
    assert block.rejected[0][1]["event_id"] == "e1"


@pytest.mark.parametrize(("change", "reason"), [
    ({"colour": ["red"] * 3}, "unknown columns"),
    ({"queue": ["q"]}, "different lengths"),
])
def test_blocks_wrong_as_a_whole(change: dict[str, list[object]], reason: str) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        validate_block("queue_calls", {**_calls(3), **change})
    cols = _calls(3)
    del cols["queue"]
    with pytest.raises(MalformedEvent, match="missing required column queue"):
        validate_block("queue_calls", cols)
    with pytest.raises(MalformedEvent, match="at most"):
        validate_block("queue_calls", _calls(MAX_BLOCK_ROWS + 1))


def test_event_ids_empty_too_long_or_not_strings_are_refused() -> None:
    cols = _calls(5)
    cols["event_id"] = ["e0", "", "x" * 129, 7, "x" * 128]
    block = validate_block("queue_calls", cols)
    assert block.columns["event_id"] == ["e0", "x" * 128]
    reasons = [reason for reason, _ in block.rejected]
    assert reasons[0] == reasons[1] == "event_id must be 1..128 characters"
    assert "event_id must be a string" in reasons[2]

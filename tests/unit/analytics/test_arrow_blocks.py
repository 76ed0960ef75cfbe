"""Column blocks spooled as Arrow streams: round trip, partial replays, both formats read,
a damaged block named, values Arrow refuses kept as JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.sink import arrow_blocks
from analytics.sink.blocks import validate_block
from analytics.sink.spool import Spool
from tests.integration.analytics.sink_child import columns


def _block(n: int = 5) -> dict[str, list[object]]:
    return validate_block("queue_calls", columns(range(n))).columns


def test_round_trip_in_table_order_with_instants_as_epochs() -> None:
    block = _block()
    payload = arrow_blocks.encode("queue_calls", block)
    assert arrow_blocks.is_arrow(payload) and "\n" not in payload and "\t" not in payload
    assert arrow_blocks.columns("queue_calls", payload) == block
    table = arrow_blocks.read("queue_calls", payload)
    assert table.column_names == list(block) and table.num_rows == 5


def test_json_blocks_are_read_the_same_way() -> None:
    block = _block()
    text = arrow_blocks.as_json("queue_calls", arrow_blocks.encode("queue_calls", block))
    assert text.startswith("{") and arrow_blocks.columns("queue_calls", text) == block
    assert arrow_blocks.read("queue_calls", text).to_pydict() == block


@pytest.mark.parametrize("arrow", [True, False], ids=["arrow", "json"])
def test_keep_drops_the_landed_rows_in_the_block_format(arrow: bool) -> None:
    block = _block(4)
    payload = arrow_blocks.encode("queue_calls", block) if arrow else \
        arrow_blocks.as_json("queue_calls", arrow_blocks.encode("queue_calls", block))
    ids = [str(e) for e in block["event_id"]]
    assert arrow_blocks.keep("queue_calls", payload, set()) == (payload, 4)
    assert arrow_blocks.keep("queue_calls", payload, set(ids)) is None
    part = arrow_blocks.keep("queue_calls", payload, {ids[0], ids[2]})
    assert part is not None and part[1] == 2
    assert arrow_blocks.is_arrow(part[0]) is arrow
    assert arrow_blocks.columns("queue_calls", part[0])["event_id"] == [ids[1], ids[3]]


def test_a_value_arrow_refuses_is_spooled_as_json() -> None:
    block = _block(2)
    block["caller_key"][1] = "x\ud800"  # a lone surrogate: no UTF-8 for it
    payload = arrow_blocks.encode("queue_calls", block)
    assert payload.startswith("{")
    assert arrow_blocks.columns("queue_calls", payload)["caller_key"][1] == "x\ud800"


@pytest.mark.parametrize("payload", ["A!!not base64", "AAAAA", "{\"event_id\": [1", "A"])
def test_a_damaged_block_is_named(payload: str) -> None:
    with pytest.raises(arrow_blocks.MalformedBlock, match="queue_calls"):
        arrow_blocks.read("queue_calls", payload)
    assert arrow_blocks.as_json("queue_calls", payload) == payload  # kept for the letter


def test_another_tables_block_is_refused() -> None:
    payload = arrow_blocks.encode("queue_calls", _block())
    with pytest.raises(arrow_blocks.MalformedBlock, match="columns"):
        arrow_blocks.read("cdr", payload)


def test_the_spool_counts_and_returns_arrow_blocks(tmp_path: Path) -> None:
    payload = arrow_blocks.encode("queue_calls", _block(3))
    spool = Spool(tmp_path)
    spool.append([("queue_calls", '["e0"]', 1), ("queue_calls", payload, 3)])
    spool.close()
    reopened = Spool(tmp_path)
    assert reopened.rows_pending == 4
    events, _ = reopened.read(reopened.checkpoint, max_rows=10)
    assert [(e.is_block, e.rows) for e in events] == [(False, 1), (True, 3)]
    assert events[1].line == payload

"""The event sink against both engines: batching, dead letters, duplicates, a dead server."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from analytics.sink.backend import AnalyticsBackend
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from analytics.sink.contract import SinkConfig, SinkNotRunning
from analytics.sink.spool import SpoolError, SpoolFull
from analytics.sink.writer import EventSink
from tests.integration.analytics.sink_child import columns, event


def _count(backend: AnalyticsBackend, table: str = "queue_calls") -> int:
    return int(str(backend.query(f"SELECT count() FROM {backend.database}.{table}")[0][0]))


async def test_concurrent_emits_land_once_in_few_inserts(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    # No time trigger within the test: only the 10k-row rule and flush() cut batches.
    sink = EventSink(backend, tmp_path / "spool", SinkConfig(flush_interval_s=60))
    await sink.start()
    # 25 producers emitting at once share fsyncs and inserts.
    await asyncio.gather(*(
        sink.emit_many(("queue_calls", event(n)) for n in range(p * 1000, (p + 1) * 1000))
        for p in range(25)))
    await sink.flush()
    assert _count(backend) == 25_000
    assert sink.stats.accepted == 25_000
    assert sink.stats.inserted == 25_000
    assert sink.stats.batches <= 3  # >= 10k rows each, the remainder on flush(); never rows
    assert sink.rows_pending == 0
    await sink.close()


async def test_malformed_events_go_to_dead_letters_and_the_rest_lands(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    sink = EventSink(backend, tmp_path / "spool")
    await sink.start()
    bad_enum = {**event(1), "outcome": "exploded"}
    missing = {k: v for k, v in event(2).items() if k != "queue"}
    result = await sink.emit_many([
        ("queue_calls", event(0)), ("queue_calls", bad_enum), ("queue_calls", missing),
        ("no_such_table", event(3)), ("queue_calls", event(4)),
    ])
    assert (result.accepted, result.rejected) == (2, 3)
    await sink.flush()
    await sink.close()
    assert _count(backend) == 2
    letters = [json.loads(line) for line in
               (tmp_path / "spool" / "dead_letters.jsonl").read_text().splitlines()]
    reasons = [d["reason"] for d in letters]
    assert len(letters) == 3 == sink.dead_letters.count
    assert "outcome='exploded'" in reasons[0]
    assert "missing required column queue" in reasons[1]
    assert "unknown table" in reasons[2]


async def test_repeated_event_id_is_written_once(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    sink = EventSink(backend, tmp_path / "spool")
    await sink.start()
    await sink.emit("queue_calls", event(7))
    again = await sink.emit("queue_calls", event(7))
    assert (again.accepted, again.duplicates) == (0, 1)
    await sink.flush()
    await sink.close()
    assert _count(backend) == 1
    offered = backend.query(f"SELECT sumMerge(offered) FROM {backend.database}.agent_15m")
    assert int(str(offered[0][0])) == 1


def _dead_port() -> tuple[str, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1", int(s.getsockname()[1])  # closed again: nothing listens there


async def test_dead_server_keeps_events_spooled_until_it_returns(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    host, port = _dead_port()
    dead = ClickHouseBackend(host, port, database=backend.database, connect_timeout=0.5)
    sink = EventSink(dead, tmp_path / "spool", SinkConfig(retry_min_s=0.05, retry_max_s=0.2))
    await sink.start()
    result = await sink.emit_many(("queue_calls", event(n)) for n in range(300))
    assert result.accepted == 300  # acknowledged: on disk, although ClickHouse is down
    with pytest.raises(TimeoutError):
        await sink.flush(within_s=1.5)
    assert sink.rows_pending == 300
    assert sink.stats.insert_failures >= 1
    assert sink.stats.last_error is not None and "unavailable" in sink.stats.last_error
    assert sink.stats.lag_seconds() > 0
    await sink.close(within_s=0.5)

    revived = EventSink(backend, tmp_path / "spool")
    await revived.start()
    await revived.flush()
    await revived.close()
    assert _count(backend) == 300


async def test_spool_is_owned_by_one_sink(backend: AnalyticsBackend, tmp_path: Path) -> None:
    first = EventSink(backend, tmp_path / "spool")
    await first.start()
    second = EventSink(backend, tmp_path / "spool")
    with pytest.raises(SpoolError, match="owned by another process"):
        await second.start()
    await first.close()
    with pytest.raises(SinkNotRunning):
        await first.emit("queue_calls", event(1))


async def test_metrics_expose_lag_and_dead_letters(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from analytics.sink.metrics import SinkCollector

    sink = EventSink(backend, tmp_path / "spool", SinkConfig(flush_interval_s=60))
    registry = CollectorRegistry()
    registry.register(SinkCollector(sink, "test"))
    await sink.start()
    await sink.emit_many([("queue_calls", event(1)), ("queue_calls", {"event_id": "x"})])
    text = generate_latest(registry).decode()
    assert 'analytics_sink_dead_letters_total{backend="test"} 1.0' in text
    assert 'analytics_sink_spool_rows{backend="test"} 1.0' in text
    await sink.flush()
    text = generate_latest(registry).decode()
    assert 'analytics_sink_rows_inserted_total{backend="test"} 1.0' in text
    assert 'analytics_sink_lag_seconds{backend="test"} 0.0' in text
    await sink.close()


async def test_small_trickles_wait_for_the_row_or_time_threshold(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    sink = EventSink(backend, tmp_path / "spool",
                     SinkConfig(flush_interval_s=60, batch_rows=10_000))
    await sink.start()
    await sink.emit_many(("queue_calls", event(n)) for n in range(10))
    await sink.flush()  # an explicit flush inserts the 10 at once
    assert (sink.stats.batches, _count(backend)) == (1, 10)
    await sink.emit_many(("queue_calls", event(n)) for n in range(10, 20))
    await asyncio.sleep(0.5)
    # Neither 10k rows nor 60 s: still waiting in the spool, not inserted row by row.
    assert (sink.stats.batches, sink.rows_pending, _count(backend)) == (1, 10, 10)
    await sink.close()
    assert _count(backend) == 20


async def test_bounded_spool_refuses_new_events_and_keeps_the_old(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    host, port = _dead_port()
    dead = ClickHouseBackend(host, port, database=backend.database, connect_timeout=0.5)
    sink = EventSink(dead, tmp_path / "spool", SinkConfig(spool_max_bytes=20_000))
    await sink.start()
    accepted = 0
    with pytest.raises(SpoolFull, match="has not taken events"):
        for n in range(1000):
            accepted += (await sink.emit("queue_calls", event(n))).accepted
    assert 50 < accepted < 1000
    await sink.close(within_s=0.5)
    revived = EventSink(backend, tmp_path / "spool")
    await revived.start()
    await revived.flush()
    await revived.close()
    assert _count(backend) == accepted  # every acknowledged event, nothing refused


async def test_column_blocks_land_once_with_bad_rows_and_duplicates_set_aside(
        backend: AnalyticsBackend, tmp_path: Path) -> None:
    sink = EventSink(backend, tmp_path / "spool")
    await sink.start()
    block = columns(range(12_000))
    block["wait_ms"][5] = -1  # refused: outside UInt32
    result = await sink.emit_block("queue_calls", block)
    assert (result.accepted, result.rejected) == (11_999, 1)
    again = await sink.emit_block("queue_calls", columns(range(11_990, 12_010)))
    assert (again.accepted, again.duplicates) == (10, 10)
    await sink.emit("queue_calls", event(20_000))  # rows and blocks mix in one batch
    await sink.flush()
    await sink.close()
    db = backend.database
    assert _count(backend) == 12_010
    offered = backend.query(f"SELECT sumMerge(offered) FROM {db}.agent_15m")
    assert int(str(offered[0][0])) == 12_010
    distinct = backend.query(f"SELECT uniqExact(event_id) FROM {db}.queue_calls")
    assert int(str(distinct[0][0])) == 12_010
    assert sink.dead_letters.count == 1

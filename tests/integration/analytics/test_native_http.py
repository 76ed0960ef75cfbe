"""Column blocks over HTTP in Native format land exactly as the driver's inserts do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.schema.migrations import migrate
from analytics.schema.tables import EVENT_TABLES
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from analytics.sink.blocks import validate_block
from analytics.sink.contract import SinkConfig
from analytics.sink.writer import EventSink
from tests.integration.analytics.clickhouse_server import RunningClickHouse
from tests.integration.analytics.conftest import fresh_database

CDR = {
    "event_id": ["c1", "c2", "é3"], "tenant": ["acme", "acme", "ünï"],
    "call_id": ["x" * 130, "tab\there", "new\nline\\"], "direction": ["inbound"] * 3,
    "from_key": ["k", "", "ключ" * 40], "started_at": [1_700_000_000, 1_700_000_900, 0],
    "ended_at": [1_700_000_100, 1_700_001_000, 4_294_967_295], "sip_code": [200, 486, 65535],
    "mos": [4.25, 0.0, 1.5], "queue": ["sales", "", "sales"],
}
DECISION = {"event_id": ["r1"], "tenant": ["acme"], "queue": ["q"], "call_id": ["c"],
            "decided_at": [1_700_000_000], "strategy": ["longest-idle"],
            "candidates": [["a1", "a2"]], "scores": [[1.5, 0.5]]}


@pytest.fixture
def pair(clickhouse_server: RunningClickHouse) -> Iterator[tuple[ClickHouseBackend, ...]]:
    """The same server through the driver only and with HTTP for blocks."""
    s = clickhouse_server
    assert s.http_port
    driver = ClickHouseBackend(s.host, s.port, database=fresh_database())
    http = ClickHouseBackend(s.host, s.port, database=fresh_database(), http_port=s.http_port)
    for backend in (driver, http):
        migrate(backend, backend.database, backend.dialect)
    yield driver, http
    driver.close()
    http.close()


def _rows(backend: ClickHouseBackend, table: str) -> list[tuple[object, ...]]:
    return backend.query(f"SELECT * FROM {backend.database}.{table} ORDER BY event_id")


@pytest.mark.parametrize(("table", "columns"), [("cdr", CDR), ("routing_decisions", DECISION)])
def test_native_blocks_equal_the_drivers(pair: tuple[ClickHouseBackend, ...], table: str,
                                         columns: dict[str, list[object]]) -> None:
    block = validate_block(table, columns)
    assert not block.rejected
    for backend in pair:
        backend.insert_blocks(EVENT_TABLES[table], [(block.to_json(), block.rows)] * 2, 42)
    driver, http = pair
    assert _rows(http, table) == _rows(driver, table)
    assert len(_rows(http, table)) == 2 * block.rows
    assert {r[-1] for r in _rows(http, table)} == {42}  # sink_batch


async def test_the_sink_over_http_lands_every_block(
        clickhouse_server: RunningClickHouse, tmp_path: Path) -> None:
    s = clickhouse_server
    backend = ClickHouseBackend(s.host, s.port, database=fresh_database(),
                                http_port=s.http_port)
    sink = EventSink(backend, tmp_path / "spool", SinkConfig(flush_interval_s=60))
    await sink.start()
    for first in range(0, 30_000, 10_000):
        ids = range(first, first + 10_000)
        await sink.emit_block("queue_calls", {
            "event_id": [f"e{n}" for n in ids], "tenant": ["acme"] * 10_000,
            "queue": [f"q{n % 7}" for n in ids], "call_id": [f"c{n}" for n in ids],
            "enqueued_at": [1_700_000_000 + n for n in ids],
            "outcome": ["answered" if n % 4 else "abandoned" for n in ids],
            "wait_ms": [n % 60_000 for n in ids]})
    await sink.flush()
    await sink.close()
    db = backend.database
    assert backend.query(f"SELECT count(), sum(wait_ms) FROM {db}.queue_calls") == [
        (30_000, sum(n % 60_000 for n in range(30_000)))]
    assert backend.query(f"SELECT sumMerge(offered), sumMerge(abandoned) FROM {db}.queue_15m") \
        == [(30_000, 7_500)]
    backend.close()

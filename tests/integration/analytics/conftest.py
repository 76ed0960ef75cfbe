"""Real engines for the analytics tests: one clickhouse-server and one chDB path per session.

A process can open one chDB data path only, so the tests of this process share one and
isolate themselves by database; tests needing their own path use subprocesses.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.sink.backend import AnalyticsBackend
from analytics.sink.backends.chdb_backend import ChdbBackend
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from tests.integration.analytics.clickhouse_server import RunningClickHouse, start_clickhouse

_names = itertools.count(1)


@pytest.fixture(scope="session")
def clickhouse_server() -> Iterator[RunningClickHouse]:
    """A Debian clickhouse-server 18.16 of this test session."""
    root = Path(tempfile.mkdtemp(prefix="cc-ch-", dir="/tmp"))
    server = start_clickhouse(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def fresh_database() -> str:
    """A database name no other test of this session uses."""
    return f"t{next(_names)}"


@pytest.fixture(params=["chdb", "server"])
def backend(request: pytest.FixtureRequest) -> AnalyticsBackend:
    """Each engine in turn, with a fresh database."""
    db = fresh_database()
    if request.param == "chdb":
        engine: ChdbBackend = request.getfixturevalue("chdb_session_backend")
        engine.database = db
        return engine
    server: RunningClickHouse = request.getfixturevalue("clickhouse_server")
    ch = ClickHouseBackend(server.host, server.port, database=db)
    request.addfinalizer(ch.close)
    return ch

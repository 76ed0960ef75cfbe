"""Shared set-up of the dashboard tests (no tests here): the sample loaded through the real
sink into each engine once per session, a principal read from a test header, and figures
computed straight from the sample events in Python as an independent reference."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import web

from analytics.dashboard import Principal, create_dashboard_app
from analytics.dashboard.errors import UNAUTHENTICATED, DashboardError
from analytics.dashboard.sample import TENANTS, agent_states, calls, load_sample
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.backends.chdb_backend import ChdbBackend
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from analytics.sink.writer import EventSink
from tests.integration.analytics.clickhouse_server import RunningClickHouse
from tests.integration.analytics.conftest import fresh_database

Event = dict[str, object]


@dataclass
class Engine:
    """A backend pinned to the database holding the sample (the chDB one is shared)."""

    backend: AnalyticsBackend
    database: str

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Delegate to the backend."""
        return self.backend.query(sql)


_loaded: dict[str, Engine] = {}


def _load(backend: AnalyticsBackend) -> Engine:
    db = fresh_database()
    backend.database = db
    spool = Path(tempfile.mkdtemp(prefix="cc-bi-spool-", dir="/tmp"))

    async def run() -> None:
        sink = EventSink(backend, spool)
        await sink.start()
        try:
            await load_sample(sink)
        finally:
            await sink.close()

    try:
        asyncio.run(run())
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    return Engine(backend, db)


def sample_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The sample in the engine named by ``request.param``, loaded once per session."""
    kind = str(request.param)
    if kind not in _loaded:
        backend: AnalyticsBackend
        if kind == "chdb":
            backend = request.getfixturevalue("chdb_session_backend")
            assert isinstance(backend, ChdbBackend)
        else:
            server: RunningClickHouse = request.getfixturevalue("clickhouse_server")
            # Not closed: later modules of the session reuse it; the server's end ends it.
            backend = ClickHouseBackend(server.host, server.port, database="unused")
        _loaded[kind] = _load(backend)
    yield _loaded[kind]


def header_principal(request: web.Request) -> Principal:
    """Test principal: ``X-Reader: operator`` or ``tenant:<name>[:nopii]``."""
    reader = request.headers.get("X-Reader")
    if reader is None:
        raise DashboardError(UNAUTHENTICATED, "no reader")
    if reader == "operator":
        return Principal(tenant=None, no_pii=False)
    _, tenant, *flags = reader.split(":")
    return Principal(tenant=tenant, no_pii="nopii" in flags)


def dashboard(engine: Engine) -> web.Application:
    """A root app with the dashboard mounted where the control plane mounts it."""
    app = web.Application()
    app.add_subapp("/bi/", create_dashboard_app(queries=engine, principal=header_principal))
    return app


OPERATOR = {"X-Reader": "operator"}
ACME = {"X-Reader": "tenant:acme"}
ACME_NO_PII = {"X-Reader": "tenant:acme:nopii"}


def sample_calls(tenant: str) -> list[Event]:
    """The sample's queue_calls events of ``tenant``."""
    t = next(t for t in TENANTS if t.name == tenant)
    return [c for c, _ in calls(t)]


def sample_decisions(tenant: str) -> list[Event]:
    """The sample's routing_decisions events of ``tenant``."""
    t = next(t for t in TENANTS if t.name == tenant)
    return [d for _, d in calls(t) if d is not None]


def sample_states(tenant: str) -> list[Event]:
    """The sample's agent_states events of ``tenant``."""
    return list(agent_states(next(t for t in TENANTS if t.name == tenant)))


def instant_of(event: Event, column: str) -> datetime:
    """The event's instant ``column``."""
    at = event[column]
    assert isinstance(at, datetime)
    return at


def in_range(event: Event, column: str, start: datetime, end: datetime) -> bool:
    """True when the event's instant ``column`` lies in [start, end)."""
    return start <= instant_of(event, column) < end

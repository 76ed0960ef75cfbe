"""KPIs against a hand-computed day of traffic, on chDB and on the 18.16 server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics.kpis import (
    Dimension,
    Grain,
    KpiQuery,
    Source,
    agent_time,
    first_contact_resolution,
    queue_kpis,
)
from analytics.schema import EVENT_TABLES, migrate
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.backends.chdb_backend import ChdbBackend
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from analytics.sink.events import normalize
from tests.integration.analytics import kpi_fixture as fx
from tests.integration.analytics.clickhouse_server import RunningClickHouse
from tests.integration.analytics.conftest import fresh_database


@dataclass
class Engine:
    """A backend pinned to the database holding the fixture."""

    backend: AnalyticsBackend
    database: str

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Delegate to the backend."""
        return self.backend.query(sql)


@pytest.fixture(scope="module", params=["chdb", "server"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    db = fresh_database()
    backend: AnalyticsBackend
    if request.param == "chdb":
        backend = request.getfixturevalue("chdb_session_backend")
        assert isinstance(backend, ChdbBackend)
    else:
        server: RunningClickHouse = request.getfixturevalue("clickhouse_server")
        backend = ClickHouseBackend(server.host, server.port, database=db)
    backend.database = db
    migrate(backend, db, backend.dialect)
    for table, rows in (("queue_calls", fx.QUEUE_CALLS), ("agent_states", fx.AGENT_STATES)):
        backend.insert(EVENT_TABLES[table], [normalize(table, r) for r in rows], batch_id=1)
    yield Engine(backend, db)
    if request.param == "server":
        backend.close()


def _q(**kw: object) -> KpiQuery:
    base: dict[str, object] = {"tenant": "acme", "start": fx.local(1, 0, 0),
                               "end": fx.local(3, 0, 0), "grain": Grain.DAY}
    return KpiQuery(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("source", [Source.ROLLUP, Source.RAW])
def test_daily_queue_kpis_in_tenant_zone(engine: Engine, source: Source) -> None:
    rows = queue_kpis(engine, _q(sl_threshold_s=20, short_abandon_s=5, source=source))
    assert [r.bucket for r in rows] == [fx.local(1, 0, 0), fx.local(2, 0, 0)]
    sunday, monday = rows
    assert (sunday.offered, sunday.answered) == (1, 1)  # c7 only (c1-c4 are Monday locally)
    # Monday: c1 c2 c3 c4 c5 c6 c8s0 c8s1
    assert (monday.offered, monday.answered, monday.abandoned) == (8, 4, 2)
    assert (monday.answered_within, monday.short_abandoned) == (3, 1)  # c1 c5 c8s1; c3
    assert monday.service_level == pytest.approx(3 / (4 + 2 - 1))
    assert monday.asa_s == pytest.approx((8 + 25 + 15 + 10) / 4)
    assert monday.aht_s == pytest.approx((130 + 230 + 400 + 50) / 4)
    assert monday.abandonment_rate == pytest.approx(2 / 8)
    assert monday.abandonment_rate_excl_short == pytest.approx(1 / 7)
    assert monday.transfer_rate == pytest.approx(1 / 4)
    assert monday.longest_wait_s == 120


def test_thresholds_chosen_after_the_fact(engine: Engine) -> None:
    monday = queue_kpis(engine, _q(sl_threshold_s=30, short_abandon_s=0))[1]
    assert monday.service_level == pytest.approx(4 / 6)  # c1 c2 c5 c8s1 of 4 + 2
    # 25 s / 4 s are not kept in the rollup: AUTO answers from raw rows.
    raw = queue_kpis(engine, _q(sl_threshold_s=25, short_abandon_s=4))[1]
    assert raw.service_level == pytest.approx(4 / (4 + 2 - 1))  # c2 waited exactly 25 s
    with pytest.raises(ValueError, match="rollup keeps"):
        queue_kpis(engine, _q(sl_threshold_s=25, source=Source.ROLLUP))


def test_grouped_by_queue_and_agent(engine: Engine) -> None:
    by_queue = {r.group["queue"]: r for r in queue_kpis(
        engine, _q(start=fx.local(2, 0, 0), by=(Dimension.QUEUE,)))}
    assert (by_queue["sales"].offered, by_queue["sales"].answered) == (5, 2)
    assert (by_queue["support"].offered, by_queue["support"].answered) == (3, 2)
    by_agent = {r.group["agent"]: r.answered for r in queue_kpis(
        engine, _q(start=fx.local(2, 0, 0), by=(Dimension.AGENT,)))}
    assert by_agent == {"": 0, "a1": 3, "a2": 1}
    only_a2 = queue_kpis(engine, _q(start=fx.local(2, 0, 0), agents=("a2",)))
    assert [(r.answered, r.talk_ms) for r in only_a2] == [(1, 200_000)]


@pytest.mark.parametrize(("grain", "buckets"), [
    (Grain.MIN15, [(fx.local(1, 23, 45), 1), (fx.local(2, 0, 0), 2), (fx.local(2, 0, 15), 1),
                   (fx.local(2, 0, 30), 1)]),
    (Grain.HOUR, [(fx.local(1, 23, 0), 1), (fx.local(2, 0, 0), 4)]),
    (Grain.WEEK, [(fx.local(1, 0, 0).replace(month=2, day=23), 1), (fx.local(2, 0, 0), 4)]),
    (Grain.MONTH, [(fx.local(1, 0, 0), 5)]),
])
def test_grains_follow_local_time(engine: Engine, grain: Grain,
                                  buckets: list[tuple[object, int]]) -> None:
    rows = queue_kpis(engine, _q(start=fx.local(1, 23, 45), end=fx.local(2, 1, 0),
                                 grain=grain))
    assert [(r.bucket, r.offered) for r in rows] == buckets


def test_occupancy_and_utilization_from_state_time(engine: Engine) -> None:
    a1 = agent_time(engine, _q(start=fx.local(2, 0, 0), end=fx.local(2, 1, 0),
                               grain=Grain.HOUR, by=(Dimension.AGENT,), agents=("a1",)))
    assert len(a1) == 1
    assert a1[0].seconds == {"available": 1200, "talk": 120, "wrap": 30, "paused": 450}
    assert a1[0].occupancy == pytest.approx(150 / 1350)
    assert a1[0].utilization == pytest.approx(150 / 1800)
    per_15 = agent_time(engine, _q(start=fx.local(2, 0, 0), end=fx.local(2, 1, 0),
                                   grain=Grain.MIN15))
    first = next(r for r in per_15 if r.bucket == fx.local(2, 0, 0))
    # a1: available 600, talk 120, wrap 30, paused 150; a2: talk 180 of its 240
    assert first.seconds == {"available": 600, "talk": 300, "wrap": 30, "paused": 150}
    assert first.occupancy == pytest.approx(330 / 930)


@pytest.mark.parametrize(("window", "monday_resolved"), [(7, 3), (10, 2)])
def test_first_contact_resolution(engine: Engine, window: int, monday_resolved: int) -> None:
    rows = first_contact_resolution(engine, _q(), repeat_window_days=window)
    # Monday handled contacts: c1 (k1 calls back at 00:40), c2 (k2 again on the 10th),
    # c5, c8 (two segments, one contact). Sunday: c7.
    assert [(r.handled, r.resolved) for r in rows] == [(1, 1), (4, monday_resolved)]
    assert rows[1].rate == pytest.approx(monday_resolved / 4)


def test_tenants_do_not_leak(engine: Engine) -> None:
    other = queue_kpis(engine, _q(tenant="other"))
    assert [(r.offered, r.answered) for r in other] == [(1, 1)]
    assert queue_kpis(engine, _q(tenant="nobody")) == []


def test_grouped_by_skill(engine: Engine) -> None:
    by_skill = {r.group["skill"]: r.offered for r in queue_kpis(
        engine, _q(start=fx.local(2, 0, 0), by=(Dimension.SKILL,)))}
    assert by_skill == {"sales-skill": 5, "support-skill": 3}


def test_half_hour_zone_hours(engine: Engine) -> None:
    """Kolkata is UTC+5:30: its hours straddle the UTC ones, the 15-min buckets do not."""
    kolkata = ZoneInfo("Asia/Kolkata")
    rows = queue_kpis(engine, _q(start=fx.local(2, 0, 0), end=fx.local(2, 1, 0),
                                 grain=Grain.HOUR, tz="Asia/Kolkata"))
    # Shanghai 00:10/00:12/00:20 are Kolkata 21:40/21:42/21:50; 00:40 is 22:10.
    assert [(r.bucket, r.offered) for r in rows] == [
        (datetime(2026, 3, 1, 21, 0, tzinfo=kolkata), 3),
        (datetime(2026, 3, 1, 22, 0, tzinfo=kolkata), 1)]
    assert rows[0].bucket.utcoffset() == timedelta(hours=5, minutes=30)

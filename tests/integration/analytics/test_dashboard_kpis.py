"""Dashboard KPI endpoints on both engines: the numbers the KPI module gives for the same
filter, and figures recomputed in Python from the sample events the sink ingested."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics.kpis import Dimension, Grain, KpiQuery, Source, queue_kpis
from tests.integration.analytics.test_dashboard_data import (
    ACME,
    OPERATOR,
    Engine,
    dashboard,
    in_range,
    instant_of,
    sample_calls,
    sample_engine,
    sample_states,
)

TZ = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 3, 2, tzinfo=TZ), datetime(2026, 3, 30, tzinfo=TZ)
RANGE = {"start": "2026-03-02", "end": "2026-03-30"}


@pytest.fixture(scope="module", params=["chdb", "server"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield from sample_engine(request)


async def _get(aiohttp_client, engine: Engine, path: str, params, headers=ACME):
    client = await aiohttp_client(dashboard(engine))
    response = await client.get(f"/bi/api/{path}", params=params, headers=headers)
    body = await response.json()
    assert response.status == 200, body
    return body


def _same(point: dict[str, Any], row) -> None:
    assert point["bucket"] == row.bucket.isoformat()
    for name in ("offered", "answered", "abandoned", "answered_within", "short_abandoned"):
        assert point[name] == getattr(row, name), name
    for name in ("service_level", "asa_s", "aht_s", "abandonment_rate", "transfer_rate"):
        assert point[name] == pytest.approx(getattr(row, name)), name


@pytest.mark.parametrize(("grain", "kw", "extra"), [
    (Grain.DAY, {}, {}),
    (Grain.HOUR, {"queues": ("sales", "billing")}, {"queue": ["sales", "billing"]}),
    (Grain.WEEK, {"sl_threshold_s": 30, "short_abandon_s": 5},
     {"sl": "30", "short_abandon": "5"}),
    (Grain.MIN15, {"by": (Dimension.QUEUE,)}, {"by_queue": "1"}),
])
async def test_trends_equal_the_kpi_module(aiohttp_client, engine: Engine, grain: Grain,
                                           kw: dict[str, Any], extra: dict[str, Any]) -> None:
    end = END if grain is not Grain.MIN15 else START + timedelta(days=3)
    params = [*{**RANGE, "end": end.date().isoformat(),
                "grain": {Grain.MIN15: "15m"}.get(grain, grain.value)}.items()]
    for key, value in extra.items():
        params += [(key, v) for v in (value if isinstance(value, list) else [value])]
    body = await _get(aiohttp_client, engine, "trends", params)
    rows = queue_kpis(engine, KpiQuery("acme", START, end, grain, source=Source.ROLLUP, **kw))
    points = [(s["queue"], p) for s in body["series"] for p in s["points"]]
    assert len(points) == len(rows) >= 4  # four weeks at the coarsest
    by_key = {(p["bucket"], q): p for q, p in points}
    for row in rows:
        _same(by_key[(row.bucket.isoformat(), row.group.get("queue"))], row)
    assert body["totals"]["offered"] == sum(r.offered for r in rows)


async def test_trend_totals_match_the_events(aiohttp_client, engine: Engine) -> None:
    body = await _get(aiohttp_client, engine, "trends", RANGE)
    events = [c for c in sample_calls("acme") if in_range(c, "enqueued_at", START, END)]
    answered = [c for c in events if c["outcome"] == "answered"]
    abandoned = [c for c in events if c["outcome"] == "abandoned"]
    within = [c for c in answered if int(str(c["wait_ms"])) <= 20_000]
    t = body["totals"]
    assert (t["offered"], t["answered"], t["abandoned"]) == \
        (len(events), len(answered), len(abandoned))
    assert t["service_level"] == pytest.approx(len(within) / (len(answered) + len(abandoned)))
    handle = sum(int(str(c[k])) for c in answered for k in ("talk_ms", "hold_ms", "wrap_ms"))
    assert t["aht_s"] == pytest.approx(handle / 1000 / len(answered))


async def test_heatmap_cells_match_events_and_hourly_kpis(aiohttp_client,
                                                         engine: Engine) -> None:
    body = await _get(aiohttp_client, engine, "heatmap", {**RANGE, "sl": "10"})
    cells = {(c["weekday"], c["hour"]): c for c in body["cells"]}
    expected: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for c in sample_calls("acme"):
        local = instant_of(c, "enqueued_at").astimezone(TZ)
        expected[(local.isoweekday(), local.hour)].append(c)
    assert {k: c["offered"] for k, c in cells.items()} == \
        {k: len(v) for k, v in expected.items()}
    monday_ten = expected[(1, 10)]
    answered = [c for c in monday_ten if c["outcome"] == "answered"]
    within = sum(1 for c in answered if int(str(c["wait_ms"])) <= 10_000)
    assert cells[(1, 10)]["service_level"] == pytest.approx(within / len(monday_ten))
    # One day: each cell is one hourly bucket of the KPI module.
    day = await _get(aiohttp_client, engine, "heatmap",
                     {"start": "2026-03-03", "end": "2026-03-04"})
    hourly = queue_kpis(engine, KpiQuery("acme", START + timedelta(days=1),
                                         START + timedelta(days=2), Grain.HOUR))
    assert len(day["cells"]) == len(hourly)
    for cell, row in zip(day["cells"], hourly, strict=True):
        assert (cell["weekday"], cell["hour"]) == (2, row.bucket.hour)
        assert cell["offered"] == row.offered
        assert cell["service_level"] == pytest.approx(row.service_level)


async def test_abandonment_curve_accounts_for_every_call(aiohttp_client,
                                                         engine: Engine) -> None:
    body = await _get(aiohttp_client, engine, "abandonment", {**RANGE, "bin_s": "15"})
    events = [c for c in sample_calls("acme") if in_range(c, "enqueued_at", START, END)]
    no_answer = body["no_answer_intervals"] or {"offered": 0, "abandoned": 0}
    assert sum(b["offered"] for b in body["bins"]) + no_answer["offered"] == len(events)
    assert all(b["asa_from_s"] <= b["asa_s"] < b["asa_to_s"] for b in body["bins"])
    quick = sum(1 for c in events
                if c["outcome"] == "abandoned" and int(str(c["wait_ms"])) < 5000)
    by_wait = {t["wait_s"]: t for t in body["thresholds"]}
    assert by_wait[5]["abandoned_within"] == pytest.approx(quick / len(events))
    assert by_wait[5]["answered_within"] is None  # the rollup keeps no 5 s answer count
    shares = [by_wait[t]["abandoned_within"] for t in (5, 10, 20, 30)]
    assert shares == sorted(shares)  # cumulative: patience runs out over time


async def test_league_matches_events(aiohttp_client, engine: Engine) -> None:
    body = await _get(aiohttp_client, engine, "agents", RANGE)
    events = [c for c in sample_calls("acme")
              if in_range(c, "enqueued_at", START, END) and c["outcome"] == "answered"]
    per_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in events:
        per_agent[str(c["agent"])].append(c)
    assert [a["agent"] for a in body["agents"]] == sorted(
        per_agent, key=lambda a: (-len(per_agent[a]), a))
    busy: dict[str, float] = defaultdict(float)
    open_: dict[str, float] = defaultdict(float)
    for s in sample_states("acme"):
        seconds = (instant_of(s, "ended_at") - instant_of(s, "started_at")).total_seconds()
        if s["state"] in ("talk", "hold", "wrap"):
            busy[str(s["agent"])] += seconds
        if s["state"] in ("talk", "hold", "wrap", "available"):
            open_[str(s["agent"])] += seconds
    for row in body["agents"]:
        mine = per_agent[row["agent"]]
        assert row["answered"] == len(mine)
        handle = sum(int(str(c[k])) for c in mine for k in ("talk_ms", "hold_ms", "wrap_ms"))
        assert row["aht_s"] == pytest.approx(handle / 1000 / len(mine))
        assert row["occupancy"] == pytest.approx(busy[row["agent"]] / open_[row["agent"]])


async def test_operator_reads_the_tenant_it_picks(aiohttp_client, engine: Engine) -> None:
    body = await _get(aiohttp_client, engine, "trends",
                      {**RANGE, "tenant": "globex", "tz": "Europe/Berlin"}, OPERATOR)
    berlin = ZoneInfo("Europe/Berlin")
    start, end = datetime(2026, 3, 2, tzinfo=berlin), datetime(2026, 3, 30, tzinfo=berlin)
    events = [c for c in sample_calls("globex") if in_range(c, "enqueued_at", start, end)]
    assert body["tenant"] == "globex" and body["totals"]["offered"] == len(events)
    assert body["series"][0]["points"][0]["bucket"] == "2026-03-02T00:00:00+01:00"

"""Routing-decision drill-down and the staffing view on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics.dashboard.audit import MASK
from analytics.forecast import StaffingTarget, forecast, history_from_kpis, staffing_plan
from analytics.kpis import Grain, KpiQuery, Source, queue_kpis
from tests.integration.analytics.test_dashboard_data import (
    ACME,
    ACME_NO_PII,
    Engine,
    dashboard,
    in_range,
    instant_of,
    sample_calls,
    sample_decisions,
    sample_engine,
)

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module", params=["chdb", "server"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield from sample_engine(request)


async def _get(aiohttp_client, engine: Engine, path: str, params: Any = None,
               headers: dict[str, str] = ACME) -> Any:
    client = await aiohttp_client(dashboard(engine))
    response = await client.get(f"/bi/api/{path}", params=params or {}, headers=headers)
    body = await response.json()
    assert response.status == 200, body
    return body


async def test_decisions_of_a_queue_newest_first(aiohttp_client, engine: Engine) -> None:
    params = {"start": "2026-03-03", "end": "2026-03-04", "queue": "billing", "limit": "5"}
    body = await _get(aiohttp_client, engine, "decisions", params)
    day = (datetime(2026, 3, 3, tzinfo=TZ), datetime(2026, 3, 4, tzinfo=TZ))
    expected = sorted((d for d in sample_decisions("acme")
                       if d["queue"] == "billing" and in_range(d, "decided_at", *day)),
                      key=lambda d: (instant_of(d, "decided_at"), str(d["event_id"])),
                      reverse=True)
    assert body["matched"] == len(expected) > 5
    assert [d["id"] for d in body["decisions"]] == [d["event_id"] for d in expected[:5]]
    first = body["decisions"][0]
    assert first["decided_at"] == instant_of(expected[0], "decided_at").isoformat()
    assert first["candidates"] == len(expected[0]["candidates"])  # type: ignore[arg-type]


async def test_one_decision_explains_the_choice(aiohttp_client, engine: Engine) -> None:
    d = next(d for d in sample_decisions("acme") if d["rule"] == "relax_skill_level"
             and len(d["candidates"]) >= 3)  # type: ignore[arg-type]
    listed = await _get(aiohttp_client, engine, "decisions", {
        "start": "2026-03-02", "end": "2026-03-30", "call_id": str(d["call_id"])})
    assert [x["id"] for x in listed["decisions"]] == [d["event_id"]]
    one = await _get(aiohttp_client, engine, f"decisions/{d['event_id']}",
                     {"at": str(listed["decisions"][0]["at"])})
    assert (one["rule"], one["strategy"], one["chosen_agent"]) == \
        (d["rule"], d["strategy"], d["agent"] if "agent" in d else d["chosen_agent"])
    ranked = one["ranked"]
    assert [c["agent"] for c in ranked] == list(d["candidates"])  # type: ignore[call-overload]
    assert [c["score"] for c in ranked] == pytest.approx(list(d["scores"]))  # type: ignore[call-overload]
    assert ranked[0]["chosen"] and not any(c["chosen"] for c in ranked[1:])
    call = next(c for c in sample_calls("acme") if c["call_id"] == d["call_id"])
    [segment] = one["segments"]
    assert segment["caller"] == call["caller_key"]
    assert segment["wait_s"] == int(str(call["wait_ms"])) / 1000
    masked = await _get(aiohttp_client, engine, f"decisions/{d['event_id']}",
                        headers=ACME_NO_PII)
    assert masked["segments"][0]["caller"] == MASK
    assert str(call["caller_key"])[-4:] not in str(masked)


async def test_staffing_is_the_forecast_module_on_rollup_history(aiohttp_client,
                                                                 engine: Engine) -> None:
    params = {"day": "2026-03-30", "days": "2", "weeks": "4", "queue": "sales",
              "service_level": "0.8", "target_s": "20", "shrinkage": "0.25",
              "patience_s": "90"}
    body = await _get(aiohttp_client, engine, "staffing", params)
    day = datetime(2026, 3, 30, tzinfo=TZ)
    history = history_from_kpis(queue_kpis(engine, KpiQuery(
        "acme", day - timedelta(days=28), day, Grain.MIN15, queues=("sales",),
        source=Source.ROLLUP)))
    predicted = forecast(history, day, 2, "Asia/Shanghai", weeks=4)
    target = StaffingTarget(service_level=0.8, target_s=20, shrinkage=0.25)
    plan_c = staffing_plan([(p.start, p.calls, p.aht_s) for p in predicted], 900, target)
    plan_a = staffing_plan([(p.start, p.calls, p.aht_s) for p in predicted], 900,
                           StaffingTarget(service_level=0.8, target_s=20, shrinkage=0.25,
                                          patience_s=90))
    intervals = body["intervals"]
    assert len(intervals) == 2 * 96
    for got, c, a in zip(intervals, plan_c, plan_a, strict=True):
        assert got["start"] == c.start.isoformat()
        assert got["calls"] == pytest.approx(c.calls)
        assert (got["erlang_c"]["agents"], got["erlang_c"]["scheduled"]) == \
            (c.agents, c.scheduled)
        assert (got["erlang_a"]["agents"], got["erlang_a"]["scheduled"]) == \
            (a.agents, a.scheduled)
    busiest = max(intervals, key=lambda i: i["calls"])
    assert busiest["calls"] > 1 and busiest["erlang_c"]["agents"] >= 2
    # Callers who hang up relieve the queue: Erlang A never asks for more agents.
    assert all(i["erlang_a"]["agents"] <= i["erlang_c"]["agents"] for i in intervals)
    assert body["totals"]["peak_agents_erlang_c"] == max(c.agents for c in plan_c)

"""Who sees what, and what the dashboard refuses: tenant isolation, 401, and every bad
parameter answered with a 400 naming its error id and field."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from analytics.dashboard import app as dashboard_app
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from tests.integration.analytics.test_dashboard_data import (
    ACME,
    OPERATOR,
    Engine,
    dashboard,
    sample_calls,
    sample_decisions,
    sample_engine,
)

RANGE = {"start": "2026-03-02", "end": "2026-03-30"}


@pytest.fixture(scope="module", params=["chdb"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield from sample_engine(request)


async def _call(aiohttp_client, engine: Engine, path: str, params: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
    client = await aiohttp_client(dashboard(engine))
    response = await client.get(path, params=params or {}, headers=headers or {})
    return response.status, await response.json()


def _error(body: Any) -> tuple[str, str | None]:
    """(id, field) of an error in the control plane API's shape."""
    return body["error"]["id"], body["error"]["details"]["field"]


async def test_an_analyst_reads_only_its_tenant(aiohttp_client, engine: Engine) -> None:
    status, me = await _call(aiohttp_client, engine, "/bi/api/me", headers=ACME)
    assert (status, me["tenants"], me["operator"]) == (200, ["acme"], False)
    _, trends = await _call(aiohttp_client, engine, "/bi/api/trends", RANGE, ACME)
    assert trends["tenant"] == "acme"
    assert trends["totals"]["offered"] == len(sample_calls("acme"))
    # Naming another tenant is refused, not silently narrowed or widened.
    for path in ("trends", "heatmap", "agents", "decisions", "abandonment", "meta"):
        params = {"tenant": "globex"} if path == "meta" else {**RANGE, "tenant": "globex"}
        status, body = await _call(aiohttp_client, engine, f"/bi/api/{path}", params, ACME)
        assert (status, *_error(body)) == (403, "bi.tenant_forbidden", "tenant"), path
    # Naming itself is fine.
    status, _ = await _call(aiohttp_client, engine, "/bi/api/trends",
                            {**RANGE, "tenant": "acme"}, ACME)
    assert status == 200
    # Another tenant's decision, even by its exact id, does not exist for this reader.
    theirs = sample_decisions("globex")[0]
    status, body = await _call(aiohttp_client, engine,
                               f"/bi/api/decisions/{theirs['event_id']}", headers=ACME)
    assert (status, body["error"]["id"]) == (404, "bi.not_found")
    status, found = await _call(aiohttp_client, engine,
                                f"/bi/api/decisions/{theirs['event_id']}",
                                {"tenant": "globex"}, OPERATOR)
    assert (status, found["call_id"]) == (200, theirs["call_id"])


async def test_queues_and_tenants_lists_follow_the_principal(aiohttp_client,
                                                             engine: Engine) -> None:
    _, meta = await _call(aiohttp_client, engine, "/bi/api/meta", headers=ACME)
    assert meta["queues"] == ["billing", "sales", "support"]
    assert meta["first_interval"].startswith("2026-03-02T08:00:00+08:00")
    _, me = await _call(aiohttp_client, engine, "/bi/api/me", headers=OPERATOR)
    assert me["operator"] is True and me["tenants"] == ["acme", "globex"]
    _, meta = await _call(aiohttp_client, engine, "/bi/api/meta",
                          {"tenant": "globex", "tz": "Europe/Berlin"}, OPERATOR)
    assert meta["queues"] == ["claims", "sales"]


async def test_no_principal_is_401(aiohttp_client, engine: Engine) -> None:
    status, body = await _call(aiohttp_client, engine, "/bi/api/trends", RANGE)
    assert (status, body["error"]["id"]) == (401, "bi.unauthenticated")


@pytest.mark.parametrize("case", [
    ("trends", {"end": "2026-03-30"}, "bi.param_missing", "start"),
    ("trends", {**RANGE, "start": "yesterday"}, "bi.param_invalid", "start"),
    ("trends", {**RANGE, "start": "2026-03-02T10:07"}, "bi.param_invalid", "start"),
    ("trends", {**RANGE, "end": "2026-03-01"}, "bi.range_invalid", "end"),
    ("trends", {**RANGE, "end": "2031-01-01"}, "bi.range_too_large", "end"),
    ("trends", {**RANGE, "grain": "year"}, "bi.param_invalid", "grain"),
    ("trends", {**RANGE, "grain": "15m", "end": "2026-06-30"}, "bi.range_too_large",
     "grain"),
    ("trends", {**RANGE, "sl": "25"}, "bi.param_invalid", "sl"),
    ("trends", {**RANGE, "short_abandon": "-5"}, "bi.param_invalid", "short_abandon"),
    ("trends", {**RANGE, "tz": "Mars/Olympus"}, "bi.param_invalid", "tz"),
    ("trends", {**RANGE, "queues": "sales"}, "bi.param_unknown", "queues"),
    ("trends", [*RANGE.items(), ("grain", "day"), ("grain", "week")], "bi.param_invalid",
     "grain"),
    ("trends", [*RANGE.items(), *(("queue", f"q{i}") for i in range(51))],
     "bi.param_invalid", "queue"),
    ("trends", {**RANGE, "queue": "sa\x01les"}, "bi.param_invalid", "queue"),
    ("heatmap", {**RANGE, "grain": "day"}, "bi.param_unknown", "grain"),
    ("abandonment", {**RANGE, "bin_s": "0"}, "bi.param_invalid", "bin_s"),
    ("abandonment", {**RANGE, "bin_s": "ten"}, "bi.param_invalid", "bin_s"),
    ("agents", {**RANGE, "limit": "100000"}, "bi.param_invalid", "limit"),
    ("decisions", {**RANGE, "call_id": ""}, "bi.param_invalid", "call_id"),
    ("decisions/x", {"at": "soon"}, "bi.param_invalid", "at"),
    ("staffing", {}, "bi.param_missing", "day"),
    ("staffing", {"day": "2026-03-30T10:00"}, "bi.param_invalid", "day"),
    ("staffing", {"day": "2026-03-30", "days": "30"}, "bi.param_invalid", "days"),
    ("staffing", {"day": "2026-03-30", "shrinkage": "1.5"}, "bi.param_invalid",
     "shrinkage"),
    ("staffing", {"day": "2026-03-30", "patience_s": "nan"}, "bi.param_invalid",
     "patience_s"),
])
async def test_bad_parameters_are_400_with_id_and_field(aiohttp_client, engine: Engine,
                                                        case: tuple[str, Any, str, str]) -> None:
    path, params, error, field = case
    status, body = await _call(aiohttp_client, engine, f"/bi/api/{path}", params, ACME)
    assert (status, *_error(body)) == (400, error, field), body
    assert field in body["error"]["message"]


async def test_the_operator_must_pick_a_tenant(aiohttp_client, engine: Engine) -> None:
    status, body = await _call(aiohttp_client, engine, "/bi/api/trends", RANGE, OPERATOR)
    assert (status, *_error(body)) == (400, "bi.param_missing", "tenant")


async def test_page_and_chart_library_are_served(aiohttp_client, engine: Engine) -> None:
    client = await aiohttp_client(dashboard(engine))
    page = await client.get("/bi/")
    assert page.status == 200 and "echarts.min.js" in await page.text()
    lib = await client.get("/bi/vendor/echarts.min.js")
    assert lib.status == 200 and len(await lib.read()) > 500_000
    script = await client.get("/bi/static/dashboard.js")
    assert script.status == 200


async def test_missing_chart_library_is_a_clear_503(aiohttp_client, engine: Engine,
                                                    tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dashboard_app, "ECHARTS", tmp_path / "echarts.min.js")
    status, body = await _call(aiohttp_client, engine, "/bi/vendor/echarts.min.js")
    assert (status, body["error"]["id"]) == (503, "bi.assets_missing")
    assert "npm ci" in body["error"]["message"]


async def test_an_engine_that_cannot_answer_is_a_503_without_internals(aiohttp_client) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = ClickHouseBackend("127.0.0.1", port, database="callcenter")
    try:
        status, body = await _call(aiohttp_client, Engine(down, "callcenter"),
                                   "/bi/api/trends", RANGE, ACME)
    finally:
        down.close()
    assert (status, body["error"]["id"]) == (503, "bi.engine_unavailable")
    assert str(port) not in body["error"]["message"]

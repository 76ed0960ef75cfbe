"""Unexpected exceptions: a 500 with an id, logged with the request id, no trace to the client."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from control_plane.api.middleware import request_context
from control_plane.api.routes import PUBLIC, Api, RouteTable
from control_plane.db import errors as db

ROUTES = RouteTable()


@ROUTES.get("/boom", permission=PUBLIC, summary="fails")
async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("password=hunter2 in a secret place")


@ROUTES.get("/db/{kind}", permission=PUBLIC, summary="persistence errors")
async def db_error(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    raise {"missing": db.NotFound("queues", 7),
           "clash": db.Conflict("uq_queues_tenant_name", "already exists"),
           "check": db.ValidationFailed("sla_seconds", "must be positive", constraint="sla"),
           "down": db.Unavailable("database unavailable: connection refused")}[kind]


def _app() -> web.Application:
    app = web.Application(middlewares=[request_context])
    api = Api(title="t", version="1")
    api.include(ROUTES.routes)
    api.install(app)
    return app


async def test_unexpected_exception_is_a_500_with_request_id_and_no_trace(
        aiohttp_client: Any) -> None:
    client = await aiohttp_client(_app())
    with structlog.testing.capture_logs(
            processors=[structlog.contextvars.merge_contextvars]) as logs:
        resp = await client.get("/boom", headers={"X-Request-Id": "r-500"})
    body = await resp.json()
    assert resp.status == 500 and body["error"]["id"] == "internal.error"
    assert body["error"]["details"] == {"request_id": "r-500"}
    text = await resp.text()
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    logged = next(e for e in logs if e["event"] == "unhandled error")
    assert logged["request_id"] == "r-500" and logged["log_level"] == "error"
    assert logged["exc_info"] is True or logged["exc_info"]


async def test_persistence_errors_map_to_the_family(aiohttp_client: Any) -> None:
    client = await aiohttp_client(_app())
    expected = {"missing": (404, "resource.not_found"), "clash": (409, "resource.conflict"),
                "check": (400, "request.invalid_body"), "down": (503, "dependency.unavailable")}
    for kind, (status, error_id) in expected.items():
        resp = await client.get(f"/db/{kind}")
        body = await resp.json()
        assert (resp.status, body["error"]["id"]) == (status, error_id), kind
    resp = await client.get("/db/check")
    assert (await resp.json())["error"]["details"]["field"] == "sla_seconds"
    resp = await client.get("/db/down")
    assert "connection refused" in (await resp.json())["error"]["details"]["reason"]
    assert resp.headers["Retry-After"] == "5"

"""The configuration database going away (SQLite's file gone, PostgreSQL stopped) gives
503 ``dependency.unavailable`` with the dependency and a reason on every route that needs
it, the process lives on, open live sockets keep their events, and the routes recover by
themselves when the database returns. No accepted change is lost: every write answered
2xx is in the database afterwards, every write answered 503 is not.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from control_plane.events import BUS
from control_plane.events.bus import EventKind, LiveEvent
from tests.integration.api.outage_support import (
    PASSWORD,
    OutageCenter,
    outage,
    outage_center,
    own_postgres,
)

__all__ = ["outage", "outage_center", "own_postgres"]
WS = "/api/v1/ws"


def _unavailable(status: int, body: Any, headers: dict[str, str]) -> None:
    assert status == 503, body
    error = body["error"]
    assert error["id"] == "dependency.unavailable"
    assert error["details"]["dependency"] == "database"
    assert error["details"]["reason"]
    assert headers.get("Retry-After") == "5"


async def _recovered(center: OutageCenter, within: float = 15.0) -> float:
    """Seconds until the API reads the database again."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        status, _body, _h = await center.call("adam", "GET", "/api/v1/skills?limit=200")
        if status == 200:
            return time.monotonic() - started
        assert status == 503
        await asyncio.sleep(0.2)
    raise AssertionError(f"not recovered within {within} s")


async def _names(center: OutageCenter) -> set[str]:
    status, body, _h = await center.call("adam", "GET", "/api/v1/skills?limit=200")
    assert status == 200, body
    return {row["name"] for row in body["items"]}


async def _socket(center: OutageCenter, user: str) -> aiohttp.ClientWebSocketResponse:
    ws = await center.client.ws_connect(WS, protocols=(
        "callcenter.v1", f"bearer.{center.tokens[user]}"))
    hello = await ws.receive_json(timeout=5)
    assert hello["type"] == "hello"
    return ws


async def _next(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=5)
        if message["type"] == kind:
            return message


async def test_database_away_gives_503_and_recovers_by_itself(
        outage_center: OutageCenter) -> None:
    center = outage_center
    assert (await center.call("adam", "POST", "/api/v1/skills", {"name": "before"}))[0] == 201
    cti = await _socket(center, "adam")
    await cti.send_json({"type": "subscribe", "channel": "cti", "id": "feed"})
    assert (await _next(cti, "subscribed"))["id"] == "feed"

    operator = await _socket(center, "root")  # open, not subscribed yet
    center.outage.down()
    try:
        # CRUD, reads and writes.
        _unavailable(*await center.call("adam", "GET", "/api/v1/skills"))
        _unavailable(*await center.call("adam", "POST", "/api/v1/skills", {"name": "during"}))
        _unavailable(*await center.call("adam", "GET", "/api/v1/queues"))
        # Login.
        resp = await center.client.post("/api/v1/auth/login", json={
            "tenant": "acme", "username": "adam", "password": PASSWORD})
        _unavailable(resp.status, await resp.json(), dict(resp.headers))
        # An agent action that reads the configuration (the agent's routing profile).
        _unavailable(*await center.call("ann", "POST", "/api/v1/agent/login", {}))
        # A new live socket cannot authenticate: refused with the same answer.
        resp = await center.client.get(WS, headers={
            "Authorization": f"Bearer {center.tokens['adam']}"})
        _unavailable(resp.status, await resp.json(), dict(resp.headers))
        # The open socket keeps its feed (the bus is in memory) and outlives heartbeats
        # whose re-authentication fails.
        await asyncio.sleep(1.2)
        center.client.app[BUS].publish(LiveEvent(EventKind.CALL_QUEUED, "acme",
                                                 queue="sales", call_id="during-outage"))
        event = await _next(cti, "event")
        assert event["event"]["call_id"] == "during-outage"
        # A first subscription to a tenant needs its agents' roster: the unavailable
        # error, and the socket stays open for a later try.
        await operator.send_json({"type": "subscribe", "channel": "wallboard", "id": "wall",
                                  "tenant": "globex"})
        refused = await _next(operator, "error")
        assert refused["error"]["id"] == "dependency.unavailable", refused
        assert refused["error"]["details"]["dependency"] == "database"
        assert refused["error"]["details"]["reason"]
        assert not operator.closed and not cti.closed
        # The process lives.
        assert (await center.client.get("/healthz")).status == 200
    finally:
        center.outage.up()

    took = await _recovered(center)
    print(f"{center.outage.kind}: the API read the database again {took:.2f} s after it "
          "returned")
    assert "before" in await _names(center) and "during" not in await _names(center)
    assert (await center.call("adam", "POST", "/api/v1/skills", {"name": "after"}))[0] == 201
    resp = await center.client.post("/api/v1/auth/login", json={
        "tenant": "acme", "username": "ann", "password": PASSWORD})
    assert resp.status == 200
    status, body, _h = await center.call("ann", "POST", "/api/v1/agent/login", {})
    assert (status, body["state"]) == (200, "ready")
    fresh = await _socket(center, "adam")
    await fresh.close()
    await operator.send_json({"type": "subscribe", "channel": "wallboard", "id": "wall",
                              "tenant": "globex"})
    assert (await _next(operator, "subscribed"))["id"] == "wall"
    await operator.close()
    await cti.close()


@pytest.mark.parametrize("in_flight", [30])
async def test_writes_racing_the_outage_are_committed_or_refused(
        outage_center: OutageCenter, in_flight: int) -> None:
    center = outage_center
    answers: dict[str, int] = {}

    async def create(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        status, body, _h = await center.call("adam", "POST", "/api/v1/skills", {"name": name})
        assert status in (201, 503), (status, body)
        answers[name] = status

    writes = [asyncio.create_task(create(f"s{i:03d}", i * 0.01)) for i in range(in_flight)]
    await asyncio.sleep(in_flight * 0.01 / 3)
    await asyncio.to_thread(center.outage.down)
    await asyncio.gather(*writes)
    for i in range(5):  # and some with the database surely gone
        await create(f"late{i}", 0)
    center.outage.up()
    await _recovered(center)
    present = await _names(center)
    accepted = {n for n, s in answers.items() if s == 201}
    refused = {n for n, s in answers.items() if s == 503}
    print(f"{center.outage.kind}: {len(accepted)} writes accepted, {len(refused)} refused "
          "across the outage")
    assert accepted and refused, answers  # both sides of the race were exercised
    assert accepted <= present, sorted(accepted - present)  # no accepted change lost
    assert not refused & present, sorted(refused & present)  # a refusal changed nothing

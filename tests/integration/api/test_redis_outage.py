"""Redis going away under a request: 503 ``dependency.unavailable`` naming Redis and the
reason (not a 500), the process lives, and the same request succeeds once Redis is back.

No route of today's application reads Redis itself: the shared ACD state and the failover
call store do (``acd_store``, ``calls/failover``), and their "Redis away" error reaches the
API through the request middleware. These handlers are the API's error path around the
real Redis adapters, against a real redis-server stopped and started again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from control_plane.acd_store.redis_store import RedisAcdStore
from control_plane.api.middleware import request_context
from tests.redis_server import RedisServer, redis_server


@pytest.fixture
def redis(tmp_path: Path) -> Any:
    with redis_server(tmp_path / "redis", appendonly=True) as server:
        yield server


@pytest.fixture
async def shared_state(redis: RedisServer,
                       aiohttp_client: Any) -> AsyncIterator[TestClient[Any, Any]]:
    store = RedisAcdStore.from_url(redis.url, timeout_s=0.5)

    async def lease(request: web.Request) -> web.Response:
        got = await store.acquire(request.match_info["p"], "replica-a", 5.0)
        holder = await store.holder(request.match_info["p"])
        return web.json_response({"acquired": got is not None,
                                  "holder": holder.owner if holder else None})

    app = web.Application(middlewares=[request_context])
    app.router.add_post("/lease/{p}", lease)
    app.router.add_get("/healthz", _ok)
    yield await aiohttp_client(app)
    await store.close()


async def _ok(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def test_redis_away_gives_503_and_the_next_request_recovers(
        redis: RedisServer, shared_state: TestClient[Any, Any]) -> None:
    client = shared_state
    resp = await client.post("/lease/p1")
    assert resp.status == 200 and (await resp.json())["holder"] == "replica-a"
    redis.stop()
    resp = await client.post("/lease/p1")
    body = await resp.json()
    assert resp.status == 503, body
    assert body["error"]["id"] == "dependency.unavailable"
    assert body["error"]["details"]["dependency"] == "redis"
    assert body["error"]["details"]["reason"]
    assert resp.headers["Retry-After"] == "5"
    assert (await client.get("/healthz")).status == 200  # the process lives
    redis.start()  # same port, same append-only file
    resp = await client.post("/lease/p1")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["holder"] == "replica-a"

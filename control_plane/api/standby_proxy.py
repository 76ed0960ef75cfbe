"""A standby replica passes the center's routes on to the active one.

With controller failover (control_plane/calls/failover), one replica holds the center: its
ACD, its calls. Every replica serves what lives in the database (configuration, CRM,
reports, users); the routes that act on or read the center — agent state, desk and
supervisor call controls, live statistics, live calls — are forwarded by a standby to the
active replica (named by the center's lease, addressed by the topology) and answered with
the active replica's answer. One hop at most: a forwarded request that lands on a standby
(a takeover in between) gets 503 `calls.no_active_replica` and the client retries.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Final

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from control_plane.api.errors import ApiError

CENTER_ROUTES: Final = re.compile(
    r"^/api/v1/(agent/|calls/|calls$|stats/|agents/\d+/(state|move|skills)$|ws$)")
SOCKET_PATH: Final = "/api/v1/ws"  # the live events come from the active replica's bus
FORWARDED: Final = "X-CC-Forwarded-By"
# Hop-by-hop and per-connection headers are not passed on (RFC 9110 §7.6.1).
_DROP: Final = frozenset({"host", "connection", "keep-alive", "transfer-encoding", "te",
                          "upgrade", "content-length", "proxy-authorization"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Who this replica is and where the active one answers: None when this one is active (or
# runs alone); ("", "") while no replica holds the center.
ActiveLookup = Callable[[web.Application], tuple[str, str] | None]


class NoActiveReplica(ApiError):
    """No replica holds the center right now (a takeover is under way): retry shortly."""

    status, error_id = 503, "calls.no_active_replica"
    default_message = "no replica holds the center"


def standby_proxy(lookup: ActiveLookup, session: Callable[[web.Application],
                                                           aiohttp.ClientSession],
                  ) -> Middleware:
    """The middleware (see the module docstring)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not CENTER_ROUTES.match(request.path):
            return await handler(request)
        found = lookup(request.app)
        if found is None:
            return await handler(request)
        me, base = found
        if not base or request.headers.get(FORWARDED):
            raise NoActiveReplica(headers={"Retry-After": "1"},
                                  details={"replica": me, "forwarded": bool(
                                      request.headers.get(FORWARDED))})
        if request.path == SOCKET_PATH:
            return await _socket(request, session(request.app), base, me)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP}
        headers[FORWARDED] = me
        try:
            async with session(request.app).request(
                    request.method, base + request.path_qs, headers=headers,
                    data=await request.read(),
                    timeout=aiohttp.ClientTimeout(total=10)) as answer:
                body = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in _DROP}
                return web.Response(status=answer.status, body=body, headers=kept)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise NoActiveReplica(f"the active replica did not answer: {exc}",
                                  headers={"Retry-After": "1"}) from exc

    return middleware


async def _socket(request: web.Request, http: aiohttp.ClientSession, base: str,
                  me: str) -> web.StreamResponse:
    """The live socket, relayed frame by frame to the active replica's; when either side
    closes, so does the other (1012 "service restart" when the active replica went away, so
    the client reconnects, after a takeover to the new active replica)."""
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
               if p.strip()]
    headers = {FORWARDED: me}
    if "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    try:
        upstream = await http.ws_connect("ws" + base[len("http"):] + request.path_qs,
                                         headers=headers, protocols=offered, autoping=True,
                                         heartbeat=None)
    except aiohttp.WSServerHandshakeError as exc:  # the active replica refused: say why
        raise NoActiveReplica(f"the active replica refused the socket: {exc.status}",
                              headers={"Retry-After": "1"}) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise NoActiveReplica(f"the active replica did not answer: {exc}",
                              headers={"Retry-After": "1"}) from exc
    chosen = (upstream.protocol,) if upstream.protocol else ()
    client = web.WebSocketResponse(protocols=chosen, autoping=True)
    await client.prepare(request)

    async def down() -> None:  # active replica → client
        async for msg in upstream:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await client.send_str(msg.data)
            elif msg.type is aiohttp.WSMsgType.BINARY:
                await client.send_bytes(msg.data)
        code = upstream.close_code
        await client.close(code=code if code and code != 1006 else 1012,
                           message=b"relayed socket closed")

    async def up() -> None:  # client → active replica
        async for msg in client:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await upstream.send_str(msg.data)
            elif msg.type is aiohttp.WSMsgType.BINARY:
                await upstream.send_bytes(msg.data)
        await upstream.close()

    pumps = [asyncio.ensure_future(down()), asyncio.ensure_future(up())]
    try:
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        await upstream.close()
        if not client.closed:
            await client.close(code=1012, message=b"relayed socket closed")
    return client

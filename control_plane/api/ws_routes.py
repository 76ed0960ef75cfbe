"""``GET /api/v1/ws``: the live event socket of agent desks, wallboards and CTI clients.

Authentication happens before the upgrade, like every route: ``Authorization: Bearer`` for
programs, or, from a browser (which cannot set headers on a WebSocket), the subprotocols
``callcenter.v1`` and ``bearer.<token>`` (``new WebSocket(url, ["callcenter.v1",
"bearer." + token])``): :func:`ws_bearer` lifts the token into the header for the route's
guard. Tokens never travel in the URL, so they stay out of access logs. A bad token is the
REST 401 with its error id; once open, errors are messages and close codes
(:mod:`control_plane.api.ws_protocol`).
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

from aiohttp import web
from multidict import CIMultiDict

from control_plane.api.agent_ports import LIVE, agent_ref
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.context import AUTH
from control_plane.api.errors import ApiError
from control_plane.api.routes import RouteTable, principal
from control_plane.api.ws_protocol import (
    BEARER_PREFIX,
    CHANNELS,
    MAX_MESSAGE_BYTES,
    SUBPROTOCOL,
    WsClose,
    WsConfig,
)
from control_plane.api.ws_session import LiveSocket
from control_plane.auth.principal import Principal
from control_plane.db.repos import entities as e
from control_plane.events import BUS
from control_plane.events.bus import EventFilter, EventKind
from control_plane.events.pump import LivePump, RosterEntry, agent_figures, queue_figures
from control_plane.events.screen_pop import screen_pop

ROUTES = RouteTable()
WS_PATH: Final = "/api/v1/ws"
WS_CONFIG: web.AppKey[WsConfig] = web.AppKey("ws_config", WsConfig)
PUMP: web.AppKey[LivePump] = web.AppKey("live_pump", LivePump)
SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey(
    "live_sockets", weakref.WeakSet)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebSocketRequired(ApiError):
    """A plain HTTP request reached the WebSocket endpoint."""

    status, error_id = 400, "request.websocket_required"
    default_message = "this endpoint speaks WebSocket: send an Upgrade request"


def token_from_protocols(header: str) -> str | None:
    """The token of a ``bearer.<token>`` subprotocol, if offered."""
    for part in header.split(","):
        offered = part.strip()
        if offered.startswith(BEARER_PREFIX) and len(offered) > len(BEARER_PREFIX):
            return offered[len(BEARER_PREFIX):]
    return None


@web.middleware
async def ws_bearer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """On the socket's path only: a browser's ``bearer.<token>`` subprotocol becomes the
    ``Authorization`` header the route guard reads."""
    if request.path == WS_PATH and "Authorization" not in request.headers:
        token = token_from_protocols(request.headers.get("Sec-WebSocket-Protocol", ""))
        if token is not None:
            headers = CIMultiDict(request.headers)
            headers["Authorization"] = f"Bearer {token}"
            request = request.clone(headers=headers)
    return await handler(request)


async def _roster(app: web.Application, tenant: str) -> list[RosterEntry]:
    def work(s: Any) -> list[RosterEntry]:
        out: list[RosterEntry] = []
        offset = 0
        while True:
            page = e.agents.list(s, tenant, limit=500, offset=offset)
            out += [RosterEntry(a.id, a.name, a.team_id) for a in page.items if a.active]
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return out
    return await app[CONFIG_DB].run(work)


async def _snapshot(app: web.Application, tenant: str, channel: str,
                    flt: EventFilter) -> dict[str, Any]:
    live = app.get(LIVE)
    if live is None:
        return {"acd": "unavailable", "queues": [], "agents": []}
    kinds = flt.kinds or frozenset()
    queues = []
    if EventKind.QUEUE_STATS in kinds:
        queues = [queue_figures(q) for q in await live.queues(tenant)
                  if flt.queues is None or q.queue in flt.queues]
    agents = []
    for who in await app[PUMP].roster(tenant):
        if flt.agents is None or str(who.agent_id) in flt.agents:
            agents.append(agent_figures(who, await live.agent(agent_ref(tenant,
                                                                        who.agent_id))))
    return {"acd": "attached", "channel": channel, "queues": queues, "agents": agents}


@ROUTES.get(WS_PATH, permission="stats.read", summary="Live events (WebSocket)",
            tags=("live events",), status=101, errors=(WebSocketRequired,))
async def live_socket(request: web.Request) -> web.StreamResponse:
    """Upgrade to the live event socket. Subscribe to ``desk`` (agents.state: the agent's
    offers with a screen pop, calls, state), ``wallboard`` (stats.read: queue figures and
    agents' states; team leads their team) or ``cti`` (calls.read: every event kind).
    Protocol, error ids and close codes: ``control_plane/api/ws_protocol.py``. Browsers
    authenticate with the subprotocols ``callcenter.v1`` and ``bearer.<token>``."""
    ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), heartbeat=None, autoping=True,
                               max_msg_size=MAX_MESSAGE_BYTES)
    if not ws.can_prepare(request).ok:
        raise WebSocketRequired()
    app, who = request.app, principal(request)
    token = request.headers["Authorization"].partition(" ")[2].strip()
    config = app.get(WS_CONFIG) or WsConfig()
    await ws.prepare(request)
    app[SOCKETS].add(ws)

    async def reauth() -> Principal:
        return await app[AUTH].authenticate(token)

    async def pop(tenant: str, caller: str | None) -> dict[str, Any]:
        return await app[CONFIG_DB].run(lambda s: screen_pop(s, tenant, caller))

    async def snapshot(tenant: str, channel: str, flt: EventFilter) -> dict[str, Any]:
        return await _snapshot(app, tenant, channel, flt)

    async def team(tenant: str, team_id: int) -> frozenset[str]:
        return frozenset(str(a.agent_id) for a in await app[PUMP].roster(tenant)
                         if a.team_id == team_id)

    session = LiveSocket(ws, who, bus=app[BUS], config=config, reauth=reauth, pop=pop,
                         snapshot=snapshot, team=team)
    await session.send({
        "type": "hello", "user": who.username, "role": who.role.value, "tenant": who.tenant,
        "agent_id": who.agent_id, "team_id": who.team_id, "no_pii": who.no_pii,
        "heartbeat_seconds": config.heartbeat_seconds,
        "channels": {name: {"permission": spec.permission, "allowed": who.can(spec.permission),
                            "kinds": sorted(spec.kinds)} for name, spec in CHANNELS.items()},
    })
    await session.run()
    return ws


async def _close_sockets(app: web.Application) -> None:
    # Before the server waits for handlers: every socket ends with "going away".
    sockets = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=WsClose.GOING_AWAY, message=b"server.shutdown")


async def _pump_ctx(app: web.Application) -> AsyncIterator[None]:
    async def roster(tenant: str) -> list[RosterEntry]:
        return await _roster(app, tenant)
    config = app.get(WS_CONFIG) or WsConfig()
    pump = LivePump(app[BUS], live=lambda: app.get(LIVE), roster=roster,
                    tick=config.pump_tick)
    app[PUMP] = pump
    pump.start()
    yield
    await pump.stop()


def wire(app: web.Application) -> None:
    """Give ``app`` the socket's middleware, its registry of open sockets (closed on
    shutdown) and the pump of live figures (include :data:`ROUTES` in the Api too)."""
    app.middlewares.append(ws_bearer)
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_pump_ctx)

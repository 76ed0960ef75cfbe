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

import re
from collections.abc import Awaitable, Callable
from typing import Final

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from control_plane.api.errors import ApiError

CENTER_ROUTES: Final = re.compile(
    r"^/api/v1/(agent/|calls/|calls$|stats/|agents/\d+/(state|move|skills)$)")
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

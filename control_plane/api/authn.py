"""Who sent this request: the bearer token of the ``Authorization`` header, checked."""

from __future__ import annotations

import structlog
from aiohttp import web

from control_plane.api.context import AUTH, PRINCIPAL
from control_plane.api.errors import AuthRequired
from control_plane.auth.principal import Principal, require_permission


async def authenticate(request: web.Request) -> Principal:
    """The user behind the request's bearer token; 401 with the reason otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise AuthRequired()
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthRequired("use 'Authorization: Bearer <token>'")
    return await request.config_dict[AUTH].authenticate(token.strip())


async def admit(request: web.Request, permission: str) -> Principal:
    """Authenticate, bind the user to the log context, check ``permission``, remember them."""
    who = await authenticate(request)
    structlog.contextvars.bind_contextvars(tenant=who.tenant, user=who.user_id)
    require_permission(who, permission)
    request[PRINCIPAL] = who
    return who

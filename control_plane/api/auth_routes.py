"""Log in, log out, and who am I."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.api.context import AUTH
from control_plane.api.errors import (
    DependencyUnavailable,
    InvalidCredentials,
    RateLimited,
    TokenRevoked,
)
from control_plane.api.routes import PUBLIC, RouteTable, body, principal, reply
from control_plane.api.users_routes import UserView
from control_plane.auth.permissions import MATRIX

ROUTES = RouteTable()


class LoginRequest(BaseModel):
    """Credentials; the operator's super_admin logs in without a tenant."""

    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(default=None, min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    # Capped: argon2 would hash a megabyte password, and we would pay for it.
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    """A bearer token and who it is for."""

    token: str
    token_type: str = "bearer"
    expires_at: datetime
    expires_in: int = Field(description="seconds until the token expires")
    user: UserView


class Me(BaseModel):
    """The caller: their account, what they may do, and whether PII is hidden from them."""

    user: UserView
    permissions: list[str]
    no_pii: bool


@ROUTES.post("/api/v1/auth/login", permission=PUBLIC, summary="Log in", tags=("auth",),
             body=LoginRequest, response=LoginResponse,
             errors=(InvalidCredentials, RateLimited, DependencyUnavailable))
async def login(request: web.Request) -> web.Response:
    """Exchange a tenant, username and password for a bearer token.

    Failures all read ``auth.invalid_credentials``, whatever was wrong. Too many attempts
    from one address, or failures for one user from one address, get ``rate_limited`` (429)
    with ``Retry-After``.
    """
    creds = body(request, LoginRequest)
    session = await request.app[AUTH].login(
        tenant=creds.tenant, username=creds.username, password=creds.password,
        client=request.remote or "unknown")
    expires = datetime.fromtimestamp(session.claims.expires_at, UTC)
    return reply(LoginResponse(
        token=session.token, expires_at=expires,
        expires_in=session.claims.expires_at - session.claims.issued_at,
        user=UserView.of(session.user)))


@ROUTES.post("/api/v1/auth/logout", permission="auth.self", summary="Log out",
             tags=("auth",), status=204)
async def logout(request: web.Request) -> web.Response:
    """End the caller's sessions: every token issued to them so far stops working."""
    await request.app[AUTH].logout(principal(request))
    return web.Response(status=204)


@ROUTES.get("/api/v1/auth/me", permission="auth.self", summary="Who am I", tags=("auth",),
            response=Me)
async def me(request: web.Request) -> web.Response:
    """The caller's account, permissions and PII flag (the desk and pages adapt to it)."""
    who = principal(request)
    user = await request.app[AUTH].users.by_id(who.user_id)
    if user is None:  # removed since authenticate() found it
        raise TokenRevoked()
    return reply(Me(user=UserView.of(user), permissions=sorted(MATRIX[who.role]),
                    no_pii=who.no_pii))

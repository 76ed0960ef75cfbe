"""Users of the center: list, read and create, within the caller's reach.

Admins manage their own tenant (never a super_admin); the operator's super_admin manages
every tenant; team leads see their team; agents see only themselves through /auth/me.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.api.context import AUTH
from control_plane.api.errors import Conflict, InvalidBody, PermissionDenied, ResourceNotFound
from control_plane.api.routes import RouteTable, body, principal, query, reply
from control_plane.auth.passwords import MIN_PASSWORD_LENGTH, WeakPasswordError
from control_plane.auth.permissions import Role
from control_plane.auth.principal import Principal, require_scope
from control_plane.auth.users import NewUser, UnknownReferenceError, User, UserExistsError

ROUTES = RouteTable()

NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
MAX_PAGE = 200


class UserView(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    tenant: str | None
    username: str
    role: Role
    team_id: int | None
    agent_id: int | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        """The view of a directory record."""
        return cls(id=user.id, tenant=user.tenant, username=user.username, role=user.role,
                   team_id=user.team_id, agent_id=user.agent_id, active=user.active,
                   created_at=user.created_at)


class UserPage(BaseModel):
    """One page of users."""

    items: list[UserView]
    offset: int
    limit: int


class UserListQuery(BaseModel):
    """Paging and, for the operator, the tenant to list."""

    model_config = ConfigDict(extra="forbid")

    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    tenant: str | None = Field(default=None, max_length=64,
                               description="operator only; others always get their own tenant")


class CreateUser(BaseModel):
    """A new user; ``tenant`` defaults to the caller's (only the operator may name another)."""

    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(default=None, min_length=1, max_length=64, pattern=NAME)
    username: str = Field(min_length=1, max_length=64, pattern=NAME)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    role: Role
    team_id: int | None = Field(default=None, ge=1)
    agent_id: int | None = Field(default=None, ge=1)


def _field_error(field: str, message: str, kind: str) -> InvalidBody:
    return InvalidBody(f"invalid request body: {field}: {message}", details={
        "field": field, "errors": [{"field": field, "message": message, "type": kind}]})


def _visible_team(who: Principal) -> int | None:
    return who.team_id if who.role is Role.TEAM_LEAD else None


@ROUTES.get("/api/v1/users", permission="users.read", summary="List users",
            tags=("users",), query=UserListQuery, response=UserPage)
async def list_users(request: web.Request) -> web.Response:
    """Users of the caller's tenant (a team lead: their team), by id, one page at a time."""
    who, q = principal(request), query(request, UserListQuery)
    if q.tenant is not None and not who.is_operator:
        raise PermissionDenied("only the operator may list another tenant",
                               details={"field": "tenant"})
    if who.role is Role.TEAM_LEAD and who.team_id is None:
        return reply(UserPage(items=[], offset=q.offset, limit=q.limit))
    tenant = q.tenant if who.is_operator else who.tenant
    users = await request.app[AUTH].users.list(tenant, team_id=_visible_team(who),
                                               offset=q.offset, limit=q.limit)
    return reply(UserPage(items=[UserView.of(u) for u in users], offset=q.offset,
                          limit=q.limit))


@ROUTES.get(r"/api/v1/users/{user_id:\d+}", permission="users.read", summary="Read a user",
            tags=("users",), response=UserView, errors=(ResourceNotFound,))
async def get_user(request: web.Request) -> web.Response:
    """One user; another tenant's users do not exist for the caller."""
    who = principal(request)
    user = await request.app[AUTH].users.by_id(int(request.match_info["user_id"]))
    if user is None:
        raise ResourceNotFound("no such user")
    require_scope(who, tenant=user.tenant, agent_id=user.agent_id, team_id=user.team_id)
    return reply(UserView.of(user))


@ROUTES.post("/api/v1/users", permission="users.write", summary="Create a user",
             tags=("users",), body=CreateUser, response=UserView, status=201,
             errors=(Conflict,))
async def create_user(request: web.Request) -> web.Response:
    """Add a user to the caller's tenant (the operator: to any tenant, or another operator)."""
    who, new = principal(request), body(request, CreateUser)
    if not who.is_operator:
        if new.tenant not in (None, who.tenant):
            raise PermissionDenied("users can only be created in your own tenant",
                                   details={"field": "tenant"})
        if new.role is Role.SUPER_ADMIN:
            raise PermissionDenied("only the operator creates super_admin users",
                                   details={"field": "role"})
    tenant = new.tenant if who.is_operator else who.tenant
    if (new.role is Role.SUPER_ADMIN) != (tenant is None):
        raise _field_error("tenant", "super_admin users have no tenant; every other role "
                           "needs one", "tenant_role")
    auth = request.app[AUTH]
    try:
        password_hash = auth.passwords.hash(new.password)
        user = await auth.users.create(NewUser(
            tenant=tenant, username=new.username, password_hash=password_hash, role=new.role,
            team_id=new.team_id, agent_id=new.agent_id))
    except WeakPasswordError as exc:  # length is checked by the model; kept for safety
        raise _field_error("password", str(exc), "weak_password") from exc
    except UnknownReferenceError as exc:
        raise _field_error(exc.field, str(exc), "unknown_reference") from exc
    except UserExistsError as exc:
        raise Conflict(f"user {new.username!r} already exists in this tenant",
                       details={"field": "username"}) from exc
    return reply(UserView.of(user), status=201)

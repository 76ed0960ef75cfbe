"""Tenants: the operator's (super_admin's) own resource; tenant users never see this list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from control_plane.api.config_crud import MAX_PAGE, TENANT_SLUG, PageOf, patch_of
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.config_models import Name
from control_plane.api.errors import Conflict, ResourceNotFound
from control_plane.api.routes import RouteTable, body, query, reply
from control_plane.db.repos import tenancy

ROUTES = RouteTable()
_ONE = r"/api/v1/tenants/{tenant_id:[a-z0-9][a-z0-9-]*}"


class TenantIn(BaseModel):
    """A new tenant: its slug (the key every row of it carries), name and time zone."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=TENANT_SLUG, max_length=64)]
    name: Name
    time_zone: Annotated[str, Field(min_length=1, max_length=64,
                                    description="IANA zone, e.g. Asia/Shanghai")] = "UTC"
    recording_notice: bool = True


TenantPatch = patch_of(TenantIn, exclude=("id",))


class TenantView(BaseModel):
    """A tenant."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    time_zone: str
    recording_notice: bool
    created_at: datetime


class TenantPageQuery(BaseModel):
    """One page of tenants."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0)


TenantPage = PageOf[TenantView]


def _one(request: web.Request) -> str:
    return request.match_info["tenant_id"]


@ROUTES.get("/api/v1/tenants", permission="tenants.read", summary="List tenants",
            tags=("tenants",), query=TenantPageQuery, response=TenantPage)
async def list_tenants(request: web.Request) -> web.Response:
    """Every tenant of the center, by slug (the operator's view)."""
    q = query(request, TenantPageQuery)

    def work(s: Session) -> TenantPage:
        page = tenancy.list_tenants(s, limit=q.limit, offset=q.offset)
        return TenantPage(items=[TenantView.model_validate(t) for t in page.items],
                          limit=page.limit, offset=page.offset, total=page.total,
                          next_offset=page.next_offset)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.get(_ONE, permission="tenants.read", summary="Read a tenant", tags=("tenants",),
            response=TenantView, errors=(ResourceNotFound,))
async def get_tenant(request: web.Request) -> web.Response:
    """One tenant."""
    tenant_id = _one(request)
    return reply(await request.app[CONFIG_DB].run(
        lambda s: TenantView.model_validate(tenancy.get_tenant(s, tenant_id))))


@ROUTES.post("/api/v1/tenants", permission="tenants.write", summary="Create a tenant",
             tags=("tenants",), body=TenantIn, response=TenantView, status=201,
             errors=(Conflict,))
async def create_tenant(request: web.Request) -> web.Response:
    """Add a tenant (its first admin is then created through /api/v1/users)."""
    data = body(request, TenantIn).model_dump()
    return reply(await request.app[CONFIG_DB].run(
        lambda s: TenantView.model_validate(tenancy.create_tenant(s, data))), status=201)


@ROUTES.route("PATCH", _ONE, permission="tenants.write", summary="Change a tenant",
              tags=("tenants",), body=TenantPatch, response=TenantView,
              errors=(ResourceNotFound,))
async def update_tenant(request: web.Request) -> web.Response:
    """Rename a tenant, change its time zone or recording notice."""
    tenant_id, changes = _one(request), body(request, TenantPatch).model_dump(exclude_unset=True)
    return reply(await request.app[CONFIG_DB].run(
        lambda s: TenantView.model_validate(tenancy.update_tenant(s, tenant_id, changes))))


@ROUTES.route("DELETE", _ONE, permission="tenants.write", summary="Delete a tenant",
              tags=("tenants",), status=204, errors=(ResourceNotFound, Conflict))
async def delete_tenant(request: web.Request) -> web.Response:
    """Delete a tenant and everything it owns (users, agents, queues, customers...)."""
    tenant_id = _one(request)
    await request.app[CONFIG_DB].run(lambda s: tenancy.delete_tenant(s, tenant_id))
    return web.Response(status=204)

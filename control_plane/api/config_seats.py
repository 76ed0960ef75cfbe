"""Seats and their SIP credentials: the password comes in, only HA1 hashes are stored.

The seat's SIP user and domain are fixed at creation (the registrar's key); a new password
replaces the credentials. Admins manage their tenant's seats (``seats.write``); the list
of registered contacts is ``/api/v1/seats`` (the registrars' view, operator only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.api.config_crud import (
    ListQuery,
    PageOf,
    TenantQuery,
    acting_tenant,
    path_id,
    request_tenant,
)
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.config_models import SIP_USER, OptText
from control_plane.api.errors import Conflict, ResourceNotFound
from control_plane.api.routes import RouteTable, body, principal, query, reply
from control_plane.db.repos import api_seats
from control_plane.db.repos.entities import seats

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ROUTES = RouteTable()
_BASE = "/api/v1/seat-configs"
_ONE = _BASE + r"/{id:\d+}"
MIN_SIP_PASSWORD = 8
Password = Annotated[str, Field(min_length=MIN_SIP_PASSWORD, max_length=128,
                                pattern=r"^[\x21-\x7e]+$",
                                description="printable ASCII; stored as HA1 only")]


class SeatIn(BaseModel):
    """A seat: its SIP user at a domain (the digest realm), a label, and its password."""

    model_config = ConfigDict(extra="forbid")

    sip_username: Annotated[str, Field(pattern=SIP_USER)]
    domain: Annotated[str, Field(min_length=1, max_length=128,
                                 pattern=r"^[A-Za-z0-9.-]+$")]
    label: OptText = None
    password: Password


class SeatPatch(BaseModel):
    """What may change on a seat: its label and its password."""

    model_config = ConfigDict(extra="forbid")

    label: OptText = None
    password: Password | None = None


class SeatConfigView(BaseModel):
    """A seat; ``credential_id`` is None while the registrar cannot authenticate it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant: str
    sip_username: str
    domain: str
    label: str | None
    credential_id: int | None


SeatPage = PageOf[SeatConfigView]


@ROUTES.get(_BASE, permission="seats.write", summary="List seats", tags=("seats",),
            query=ListQuery, response=SeatPage)
async def list_seat_configs(request: web.Request) -> web.Response:
    """One page of the tenant's seats (never a password or hash)."""
    q = query(request, ListQuery)
    tenant = acting_tenant(principal(request), q.tenant)

    def work(s: Session) -> SeatPage:
        page = seats.list(s, tenant, limit=q.limit, offset=q.offset)
        return SeatPage(items=[SeatConfigView.model_validate(r) for r in page.items],
                        limit=page.limit, offset=page.offset, total=page.total,
                        next_offset=page.next_offset)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.get(_ONE, permission="seats.write", summary="Read a seat", tags=("seats",),
            query=TenantQuery, response=SeatConfigView, errors=(ResourceNotFound,))
async def get_seat_config(request: web.Request) -> web.Response:
    """One seat of the tenant."""
    tenant, key = request_tenant(request), path_id(request)
    return reply(await request.app[CONFIG_DB].run(
        lambda s: SeatConfigView.model_validate(seats.get(s, tenant, key))))


@ROUTES.post(_BASE, permission="seats.write", summary="Create a seat", tags=("seats",),
             query=TenantQuery, body=SeatIn, response=SeatConfigView, status=201,
             errors=(Conflict,))
async def create_seat_config(request: web.Request) -> web.Response:
    """Add a seat and its SIP credentials in one transaction (409 if the SIP user is
    taken, in any tenant)."""
    tenant, new = request_tenant(request), body(request, SeatIn)
    data = new.model_dump(exclude={"password"})
    return reply(await request.app[CONFIG_DB].run(lambda s: SeatConfigView.model_validate(
        api_seats.create_seat(s, tenant, data, new.password))), status=201)


@ROUTES.route("PATCH", _ONE, permission="seats.write", summary="Change a seat",
              tags=("seats",), query=TenantQuery, body=SeatPatch, response=SeatConfigView,
              errors=(ResourceNotFound, Conflict))
async def update_seat_config(request: web.Request) -> web.Response:
    """Change the label, or set a new password (replaces the credentials)."""
    tenant, key, patch = request_tenant(request), path_id(request), body(request, SeatPatch)
    changes = patch.model_dump(exclude_unset=True, exclude={"password"})
    return reply(await request.app[CONFIG_DB].run(lambda s: SeatConfigView.model_validate(
        api_seats.update_seat(s, tenant, key, changes, patch.password))))


@ROUTES.route("DELETE", _ONE, permission="seats.write", summary="Delete a seat",
              tags=("seats",), query=TenantQuery, status=204, errors=(ResourceNotFound,))
async def delete_seat_config(request: web.Request) -> web.Response:
    """Delete the seat and its credentials; agents on it are unlinked."""
    tenant, key = request_tenant(request), path_id(request)
    await request.app[CONFIG_DB].run(lambda s: api_seats.delete_seat(s, tenant, key))
    return web.Response(status=204)

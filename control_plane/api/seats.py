"""Seat contacts registered at the province cores, as the presence service keeps them.

The registry does not know seats' tenants yet, so the list is the operator's view:
``seats.read`` belongs to super_admin alone until seats carry their tenant.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from control_plane.api.routes import RouteTable, reply
from control_plane.sip.registry import SeatRegistry

SEATS: web.AppKey[SeatRegistry] = web.AppKey("seats", SeatRegistry)

ROUTES = RouteTable()


class SeatView(BaseModel):
    """One registered contact of a seat."""

    aor: str
    contact: str
    edge: str
    path: str
    user_agent: str
    core: str


class SeatList(BaseModel):
    """Every registered contact, ordered by AoR then contact."""

    count: int
    seats: list[SeatView]


@ROUTES.get("/api/v1/seats", permission="seats.read", summary="Registered seat contacts",
            tags=("seats",), response=SeatList)
async def list_seats(request: web.Request) -> web.Response:
    """Seat contacts registered at the province cores (equal to the registrars' usrloc)."""
    listed = [SeatView(aor=s.aor, contact=s.contact, edge=s.edge, path=s.path,
                       user_agent=s.user_agent, core=s.core)
              for s in request.app[SEATS].seats()]
    return reply(SeatList(count=len(listed), seats=listed))

"""CRM resources: customers (with their phone numbers), contacts, and interactions (notes,
tickets, orders), tenant-scoped like the configuration resources.

Analysts hold no ``customers.*`` permission: they never reach callers' personal data here
(the export masks it for them). Notes record their author from the token.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.api.config_crud import Resource, TenantQuery, declare, patch_of, path_id
from control_plane.api.config_crud import request_tenant as tenant_of
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.config_models import E164, Id, Name, OptText
from control_plane.api.errors import Conflict, ResourceNotFound
from control_plane.api.routes import RouteTable, body, reply
from control_plane.auth.principal import Principal
from control_plane.db.repos import crm
from control_plane.db.repos import entities as e
from control_plane.db.repos.api_crm import customers_with_phones
from control_plane.db.vocab import ORDER_STATUSES, TICKET_STATUSES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ROUTES = RouteTable()

Phone = Annotated[str, Field(pattern=E164, description="E.164, e.g. +8613800138000")]
Email = Annotated[str | None, Field(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")]
CallId = Annotated[str | None, Field(max_length=255, description="SIP Call-ID of the call")]
Body = Annotated[str, Field(min_length=1, max_length=20_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PhoneView(_Out):
    """One number of a customer."""

    number: str
    label: str | None


class CustomerIn(_In):
    """A customer; ``external_ref`` is the tenant's own CRM key (unique per tenant)."""

    name: Name
    email: Email = None
    external_ref: Annotated[str | None, Field(max_length=64)] = None
    vip: bool = False
    blocked: bool = False
    phones: Annotated[list[Phone], Field(max_length=20)] = []


class CustomerView(_Out):
    """A customer and their numbers."""

    id: int
    tenant: str
    name: str
    email: str | None
    external_ref: str | None
    vip: bool
    blocked: bool
    created_at: datetime
    phones: list[PhoneView]


class ContactIn(_In):
    """A person at a customer."""

    customer_id: Id
    name: Name
    title: OptText = None
    email: Email = None
    phone: Phone | None = None


class ContactView(_Out):
    """A contact."""

    id: int
    tenant: str
    customer_id: int
    name: str
    title: str | None
    email: str | None
    phone: str | None


class NoteIn(_In):
    """What was said, on a customer (and the call it was said on)."""

    customer_id: Id
    call_id: CallId = None
    body: Body


class NoteView(_Out):
    """A note; ``author_id`` is the user who wrote it."""

    id: int
    tenant: str
    customer_id: int
    call_id: str | None
    author_id: int | None
    body: str
    created_at: datetime


class TicketIn(_In):
    """A customer issue followed to resolution."""

    customer_id: Id
    call_id: CallId = None
    subject: Name
    body: Annotated[str | None, Field(max_length=20_000)] = None
    status: Annotated[str, Field(json_schema_extra={"enum": list(TICKET_STATUSES)})] = "open"


class TicketView(_Out):
    """A ticket."""

    id: int
    tenant: str
    customer_id: int
    call_id: str | None
    subject: str
    body: str | None
    status: str
    created_at: datetime
    updated_at: datetime | None


class OrderIn(_In):
    """Something the customer bought; ``amount`` is exact (a decimal string or number)."""

    customer_id: Id
    call_id: CallId = None
    reference: Annotated[str, Field(min_length=1, max_length=64)]
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    status: Annotated[str, Field(json_schema_extra={"enum": list(ORDER_STATUSES)})] = "pending"


class OrderView(_Out):
    """An order."""

    id: int
    tenant: str
    customer_id: int
    call_id: str | None
    reference: str
    amount: Decimal
    currency: str
    status: str
    created_at: datetime


def _authored(who: Principal, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "author_id": who.user_id}


_INTERACTION_FILTERS = {"customer_id": int, "call_id": str}
RESOURCES = (
    Resource("customers", customers_with_phones, CustomerView, CustomerIn,
             patch_of(CustomerIn, exclude=("phones",)), read="customers.read",
             write="customers.write", tag="customers",
             filters={"vip": bool, "external_ref": str}),
    Resource("contacts", e.contacts, ContactView, ContactIn,
             patch_of(ContactIn, exclude=("customer_id",)), read="customers.read",
             write="customers.write", tag="customers", filters={"customer_id": int}),
    Resource("notes", e.notes, NoteView, NoteIn,
             patch_of(NoteIn, exclude=("customer_id",)), read="customers.read",
             write="customers.write", tag="customers", filters=_INTERACTION_FILTERS,
             prepare=_authored),
    Resource("tickets", e.tickets, TicketView, TicketIn,
             patch_of(TicketIn, exclude=("customer_id",)), read="customers.read",
             write="customers.write", tag="customers",
             filters={**_INTERACTION_FILTERS, "status": str}),
    Resource("orders", e.orders, OrderView, OrderIn,
             patch_of(OrderIn, exclude=("customer_id",)), read="customers.read",
             write="customers.write", tag="customers",
             filters={**_INTERACTION_FILTERS, "status": str}),
)

for _res in RESOURCES:
    declare(ROUTES, _res)


class PhoneIn(_In):
    """One more number for a customer."""

    number: Phone
    label: Annotated[str | None, Field(max_length=32)] = None


_PHONES = r"/api/v1/customers/{id:\d+}/phones"


@ROUTES.post(_PHONES, permission="customers.write", summary="Add a customer's number",
             tags=("customers",), query=TenantQuery, body=PhoneIn, response=PhoneView,
             status=201, errors=(ResourceNotFound, Conflict))
async def add_customer_phone(request: web.Request) -> web.Response:
    """Give the customer one more number (409 if they already have it)."""
    tenant, key, new = tenant_of(request), path_id(request), body(request, PhoneIn)
    return reply(await request.app[CONFIG_DB].run(lambda s: PhoneView.model_validate(
        crm.add_phone(s, tenant, customer_id=key, number=new.number, label=new.label))),
        status=201)


@ROUTES.route("DELETE", _PHONES + r"/{number:\+[0-9]+}",
              permission="customers.write", summary="Remove a customer's number",
              tags=("customers",), query=TenantQuery, status=204, errors=(ResourceNotFound,))
async def remove_customer_phone(request: web.Request) -> web.Response:
    """Take the number from the customer; 404 if they did not have it."""
    tenant, key, number = tenant_of(request), path_id(request), request.match_info["number"]

    def work(s: Session) -> bool:
        return crm.remove_phone(s, tenant, customer_id=key, number=number)
    if not await request.app[CONFIG_DB].run(work):
        raise ResourceNotFound("the customer has no such number")
    return web.Response(status=204)

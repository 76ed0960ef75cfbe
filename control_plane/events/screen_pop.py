"""The screen pop: what the agent sees about the caller while the phone rings.

Adapter module (reads the CRM tables through SQLAlchemy, in the caller's unit of work): the
customers with the calling number (``customers_by_phone``), each with its flags, the time
of the last call we know of, the last notes (what was said), open tickets and open orders.

"Last call" is the newest interaction filed with a SIP Call-ID (note, ticket or order): the
call records themselves live in ClickHouse, which has no per-number index for this lookup.
An unknown or non-E.164 caller is an empty pop (``known`` false), never an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.errors import ValidationFailed
from control_plane.db.repos.crm import customers_by_phone

MAX_CUSTOMERS: Final = 3  # sharing one line; more than this and the pop says how many
MAX_NOTES: Final = 3
MAX_TICKETS: Final = 10
MAX_ORDERS: Final = 5
OPEN_TICKETS: Final = ("open", "pending")
OPEN_ORDERS: Final = ("pending", "paid", "shipped")
NOTE_CHARS: Final = 2000  # a pop is a glance, the full note is one click away


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _last_call(session: Session, tenant: str, customer_id: int) -> datetime | None:
    newest: datetime | None = None
    for model in (m.Note, m.Ticket, m.Order):
        at = session.scalar(select(func.max(model.created_at)).where(
            model.tenant == tenant, model.customer_id == customer_id,
            model.call_id.is_not(None)))
        if at is not None and (newest is None or at > newest):
            newest = at
    return newest


def _customer(session: Session, tenant: str, customer: m.Customer) -> dict[str, Any]:
    notes = session.scalars(
        select(m.Note).where(m.Note.tenant == tenant, m.Note.customer_id == customer.id)
        .order_by(m.Note.created_at.desc(), m.Note.id.desc()).limit(MAX_NOTES))
    tickets = session.scalars(
        select(m.Ticket).where(m.Ticket.tenant == tenant, m.Ticket.customer_id == customer.id,
                               m.Ticket.status.in_(OPEN_TICKETS))
        .order_by(m.Ticket.created_at.desc(), m.Ticket.id.desc()).limit(MAX_TICKETS))
    orders = session.scalars(
        select(m.Order).where(m.Order.tenant == tenant, m.Order.customer_id == customer.id,
                              m.Order.status.in_(OPEN_ORDERS))
        .order_by(m.Order.created_at.desc(), m.Order.id.desc()).limit(MAX_ORDERS))
    return {
        "id": customer.id, "name": customer.name, "email": customer.email,
        "external_ref": customer.external_ref, "vip": customer.vip,
        "blocked": customer.blocked, "phones": [p.number for p in customer.phones],
        "last_call_at": _iso(_last_call(session, tenant, customer.id)),
        "last_notes": [{"at": _iso(n.created_at), "body": n.body[:NOTE_CHARS],
                        "call_id": n.call_id, "author_id": n.author_id} for n in notes],
        "open_tickets": [{"id": t.id, "subject": t.subject, "status": t.status,
                          "at": _iso(t.created_at)} for t in tickets],
        "open_orders": [{"id": o.id, "reference": o.reference, "amount": str(o.amount),
                         "currency": o.currency, "status": o.status,
                         "at": _iso(o.created_at)} for o in orders],
    }


def screen_pop(session: Session, tenant: str, caller: str | None) -> dict[str, Any]:
    """The pop for ``caller`` (E.164) in ``tenant``: ``{"caller", "known", "matches",
    "customers": [...], "reason"?}``."""
    empty: dict[str, Any] = {"caller": caller, "known": False, "matches": 0, "customers": []}
    if not caller:
        return {**empty, "reason": "no caller number"}
    try:
        found = customers_by_phone(session, tenant, caller.strip())
    except ValidationFailed:
        return {**empty, "reason": "caller number is not E.164"}
    if not found:
        return empty
    # VIPs first: the agent should see the one that matters when a line is shared.
    ranked = sorted(found, key=lambda c: (not c.vip, c.id))[:MAX_CUSTOMERS]
    return {"caller": caller, "known": True, "matches": len(found),
            "customers": [_customer(session, tenant, c) for c in ranked]}

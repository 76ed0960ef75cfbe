"""Seats with their SIP digest credentials, written in the caller's transaction.

``control_plane.db.credentials.set_seat_password`` opens its own transaction on an engine;
the API needs the seat row and its credentials to commit or fail together (a seat whose
name is taken must not overwrite someone else's credentials first), so the same HA1 rules
(``digest_ha1``: realm = domain, HA1 and HA1b) are applied here inside the request's
session. The password itself is never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.credentials import digest_ha1
from control_plane.db.errors import Conflict
from control_plane.db.repos.base import flush, translated
from control_plane.db.repos.entities import seats


def _credentials(session: Session, username: str, domain: str) -> m.SipCredential | None:
    with translated():
        return session.scalars(select(m.SipCredential).where(
            m.SipCredential.username == username, m.SipCredential.domain == domain)
        ).one_or_none()


def set_password(session: Session, tenant: str, seat: m.Seat, password: str) -> None:
    """Create or replace the seat's credentials (HA1 only) and link them to the seat."""
    row = _credentials(session, seat.sip_username, seat.domain)
    if row is not None and row.tenant != tenant:
        # Provisioned for another tenant by the stack: never taken over through the API.
        raise Conflict("uq_sip_credentials_user",
                       f"SIP user {seat.sip_username}@{seat.domain} belongs to another tenant")
    if row is None:
        row = m.SipCredential(tenant=tenant, username=seat.sip_username, domain=seat.domain)
        session.add(row)
    row.ha1 = digest_ha1(seat.sip_username, seat.domain, password)
    row.ha1b = digest_ha1(f"{seat.sip_username}@{seat.domain}", seat.domain, password)
    flush(session)
    seat.credential_id = row.id
    flush(session)


def create_seat(session: Session, tenant: str, data: Mapping[str, Any],
                password: str) -> m.Seat:
    """A new seat of ``tenant`` and its credentials, together."""
    seat = seats.create(session, tenant, data)
    set_password(session, tenant, seat, password)
    return seat


def update_seat(session: Session, tenant: str, seat_id: int, changes: Mapping[str, Any],
                password: str | None) -> m.Seat:
    """Change a seat's label and, with ``password``, its credentials."""
    seat = seats.update(session, tenant, seat_id, changes) if changes else \
        seats.get(session, tenant, seat_id)
    if password is not None:
        set_password(session, tenant, seat, password)
    return seat


def delete_seat(session: Session, tenant: str, seat_id: int) -> None:
    """Delete a seat and its credentials (the registrar stops accepting it at once)."""
    seat = seats.get(session, tenant, seat_id)
    row = _credentials(session, seat.sip_username, seat.domain)
    seats.delete(session, tenant, seat_id)
    if row is not None and row.tenant == tenant:
        session.delete(row)
        flush(session)

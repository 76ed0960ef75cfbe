"""Seat SIP credentials: the control plane owns them, the registrar authenticates with them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from control_plane.db.models import SipCredential


@dataclass(frozen=True, slots=True)
class SeatAccount:
    """A seat's login: its SIP user, domain (the digest realm), tenant and password."""

    tenant: str
    username: str
    domain: str
    password: str


def digest_ha1(username: str, realm: str, password: str) -> str:
    """HA1 of RFC 2617 digest authentication."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def set_seat_password(engine: Engine, account: SeatAccount) -> None:
    """Create or replace the credentials of one seat."""
    set_seat_passwords(engine, [account])


def set_seat_passwords(engine: Engine, accounts: Iterable[SeatAccount]) -> None:
    """Create or replace the credentials of many seats in one transaction."""
    with Session(engine) as session, session.begin():
        for account in accounts:
            row = session.scalars(
                select(SipCredential).where(
                    SipCredential.username == account.username,
                    SipCredential.domain == account.domain,
                )
            ).one_or_none()
            if row is None:
                row = SipCredential(username=account.username, domain=account.domain)
                session.add(row)
            row.tenant = account.tenant
            row.ha1 = digest_ha1(account.username, account.domain, account.password)
            row.ha1b = digest_ha1(f"{account.username}@{account.domain}", account.domain,
                                  account.password)


def remove_seat(engine: Engine, username: str, domain: str) -> bool:
    """Delete one seat's credentials; False when it had none."""
    with Session(engine) as session, session.begin():
        row = session.scalars(
            select(SipCredential).where(
                SipCredential.username == username, SipCredential.domain == domain
            )
        ).one_or_none()
        if row is None:
            return False
        session.delete(row)
        return True

"""Seats and their SIP digest credentials.

The registrar of the province core reads ``sip_credentials`` directly (Kamailio's auth_db
over the same SQLite file, or PostgreSQL at scale), so its table and column names are the
ones auth_db is configured with in kamailio/kamailio.cfg: username, domain, ha1, ha1b,
tenant. Do not rename them. Its ``tenant`` is deliberately not a foreign key: seats are
provisioned by the stack before (or without) a tenant row, and Kamailio only needs the text.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.db.models.base import SLUG_LEN, Base, TenantOwned


class SipCredential(Base):
    """A seat's SIP digest credentials, stored as HA1 hashes only (never the password)."""

    __tablename__ = "sip_credentials"
    __table_args__ = (UniqueConstraint("username", "domain", name="uq_sip_credentials_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant: Mapped[str] = mapped_column(String(SLUG_LEN), index=True)
    username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(128))
    # MD5(username:realm:password) and MD5(username@domain:realm:password), RFC 2617.
    ha1: Mapped[str] = mapped_column(String(64))
    ha1b: Mapped[str] = mapped_column(String(64))


class Seat(TenantOwned, Base):
    """A phone position (softphone or desk phone) agents log in to.

    ``credential_id`` links the seat to the row the registrar authenticates against;
    removing the credentials leaves the seat (unregistrable) rather than deleting it.
    """

    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("sip_username", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sip_username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(200))
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("sip_credentials.id", ondelete="SET NULL"), index=True
    )

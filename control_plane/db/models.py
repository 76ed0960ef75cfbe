"""SQLAlchemy models of the control plane's configuration database.

The registrar of the province core reads ``sip_credentials`` directly (Kamailio's auth_db
over the same SQLite file, or PostgreSQL at scale), so its column names are the ones
auth_db is configured with in kamailio/kamailio.cfg: username, domain, ha1, ha1b, tenant.
"""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table the control plane owns."""


class SipCredential(Base):
    """A seat's SIP digest credentials, stored as HA1 hashes only (never the password)."""

    __tablename__ = "sip_credentials"
    __table_args__ = (UniqueConstraint("username", "domain", name="uq_sip_credentials_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(128))
    # MD5(username:realm:password) and MD5(username@domain:realm:password), RFC 2617.
    ha1: Mapped[str] = mapped_column(String(64))
    ha1b: Mapped[str] = mapped_column(String(64))

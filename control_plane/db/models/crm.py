"""The tenant's customers and what happened with them (notes, tickets, orders).

Erasing a customer erases everything attached to it (ON DELETE CASCADE): that is what a
data-subject erasure request needs, and nothing outside the CRM points at these rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from control_plane.db.models.base import (
    CALL_ID_LEN,
    NAME_LEN,
    NUMBER_LEN,
    Base,
    TenantOwned,
    UTCDateTime,
    check_in,
    created_at_column,
    utcnow,
)
from control_plane.db.vocab import ORDER_STATUSES, TICKET_STATUSES


class Customer(TenantOwned, Base):
    """A caller the tenant knows; ``vip`` and ``blocked`` steer routing and the screen pop."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant", "external_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    email: Mapped[str | None] = mapped_column(String(254))
    # The tenant's own CRM key, for imports that update instead of duplicating.
    external_ref: Mapped[str | None] = mapped_column(String(64))
    vip: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CustomerPhone.id",
    )


class CustomerPhone(TenantOwned, Base):
    """One E.164 number of a customer; (tenant, number) is indexed for the screen pop.

    A number may belong to several customers of a tenant (a shared line), so the lookup
    returns a list; within one customer a number appears once.
    """

    __tablename__ = "customer_phones"
    __table_args__ = (
        UniqueConstraint("customer_id", "number"),
        Index("ix_customer_phones_lookup", "tenant", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(NUMBER_LEN))
    label: Mapped[str | None] = mapped_column(String(32))

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Contact(TenantOwned, Base):
    """A person at a customer (for business customers: who to ask for)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    title: Mapped[str | None] = mapped_column(String(NAME_LEN))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(NUMBER_LEN))


class _Interaction(TenantOwned):
    """Columns every interaction has: its customer, the call it came from, when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # The SIP Call-ID of the call it was taken on, if any (no FK: calls live in ClickHouse).
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LEN), index=True)
    created_at: Mapped[datetime] = created_at_column()


class Note(_Interaction, Base):
    """Free text an agent wrote about a customer (the screen pop's "what was said")."""

    __tablename__ = "notes"

    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)


class Ticket(_Interaction, Base):
    """A customer issue followed to resolution."""

    __tablename__ = "tickets"
    __table_args__ = (CheckConstraint(check_in("status", TICKET_STATUSES), name="status"),)

    subject: Mapped[str] = mapped_column(String(NAME_LEN))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # Set by the ORM on every change (Python side: no schema difference between engines).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)


class Order(_Interaction, Base):
    """Something the customer bought (or tried to)."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(check_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint("amount >= 0", name="amount"),
        UniqueConstraint("tenant", "reference"),
    )

    reference: Mapped[str] = mapped_column(String(64))
    # Exact money: Numeric, never float.
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)

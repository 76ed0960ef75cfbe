"""Declarative base, naming convention and column types shared by every model.

Constraint names are deterministic (the naming convention) because the repositories report
the name of the constraint a write broke, and migrations must name the same objects on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, ForeignKey, MetaData, String, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Lengths shared by several tables (and by the validators of the repositories).
SLUG_LEN = 64
NAME_LEN = 200
NUMBER_LEN = 32  # E.164: "+" and at most 15 digits; room for extensions in free-form fields
PATH_LEN = 1024
CALL_ID_LEN = 255


class Base(DeclarativeBase):
    """Declarative base of every table the control plane owns."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine.

    SQLite keeps no zone and hands back naive values; PostgreSQL keeps ``timestamptz``.
    Values are normalised to UTC on the way in and made aware on the way out, so callers
    compare datetimes from either engine without surprises. Naive input is refused: its
    zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware UTC datetimes from every engine."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware, in UTC (the default of created_at columns)."""
    return datetime.now(UTC)


def created_at_column() -> Mapped[datetime]:
    """A ``created_at`` set by Python (exact, aware) with a server default as a backstop."""
    return mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())


class TenantOwned:
    """Mixin: the row belongs to one tenant; deleting the tenant deletes the row.

    Every tenant-owned table carries the tenant itself (not only through a parent), indexed,
    so tenant scoping is one indexed predicate in every query.
    """

    tenant: Mapped[str] = mapped_column(
        String(SLUG_LEN), ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL of a CHECK that ``column`` is one of ``values`` (portable, unlike native enums)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


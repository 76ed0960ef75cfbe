"""What every repository shares: pages, tenant-scoped lookups, and error translation.

Repositories take a :class:`~sqlalchemy.orm.Session` the caller owns (one unit of work per
request: ``with Session(engine) as s, s.begin(): ...``) and flush after each write, so a
broken constraint surfaces at the call that caused it, as a typed error:

- unique keys and rows still referenced -> :class:`Conflict` with the constraint's name;
- CHECK and NOT NULL -> :class:`ValidationFailed` with the field (and constraint);
- the database unreachable or locked -> :class:`Unavailable`.

PostgreSQL names the constraint in its error; SQLite names CHECK constraints but only the
columns of a unique key, so the name is looked up in the models' metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import CheckConstraint, Select, Table, UniqueConstraint, func, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from control_plane.db.errors import Conflict, DbError, NotFound, Unavailable, ValidationFailed
from control_plane.db.models import Base
from control_plane.db.repos.fields import check_page

T = TypeVar("T")
M = TypeVar("M", bound=Base)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its rows, where it starts, its size and how many rows match."""

    items: list[T]
    limit: int
    offset: int
    total: int

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last one."""
        after = self.offset + len(self.items)
        return after if after < self.total else None


def paginate(session: Session, stmt: Select[M], *, limit: int, offset: int) -> Page[M]:
    """Run ``stmt`` (already ordered) for one page, and count every matching row."""
    check_page(limit, offset)
    with translated():
        total = session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return Page(items=rows, limit=limit, offset=offset, total=int(total or 0))


def get_owned(session: Session, model: type[M], tenant: str, key: object) -> M:
    """The row of ``model`` with primary key ``key`` in ``tenant``; NotFound otherwise.

    A row of another tenant is reported exactly like a missing one: whether it exists is
    not the caller's business.
    """
    with translated():
        row = session.get(model, key)
    if row is None or getattr(row, "tenant", None) != tenant:
        raise NotFound(model.__tablename__, key)
    return row


def row_dict(row: Base) -> dict[str, Any]:
    """The column values of ``row`` by attribute name (what the API serialises)."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}


def flush(session: Session) -> None:
    """Flush pending writes, translating database errors to the typed ones."""
    with translated():
        session.flush()


@contextmanager
def translated() -> Iterator[None]:
    """Turn SQLAlchemy errors raised in the block into :mod:`control_plane.db.errors`."""
    try:
        yield
    except IntegrityError as exc:
        raise translate_integrity(exc) from exc
    except OperationalError as exc:
        raise Unavailable(f"database unavailable: {exc.orig}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable(f"database connection lost: {exc.orig}") from exc
        raise


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: \w+\.(\w+)")


def translate_integrity(exc: IntegrityError) -> DbError:
    """The typed error for one IntegrityError of either engine."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg: the server named the constraint
        return _from_postgresql(
            str(getattr(orig, "sqlstate", "") or ""),
            diag.constraint_name,
            diag.table_name,
            diag.column_name,
            str(orig).splitlines()[0],
        )
    return _from_sqlite(str(orig))


def _from_postgresql(
    sqlstate: str, constraint: str | None, table: str | None, column: str | None, text: str
) -> DbError:
    name = constraint or "unknown"
    if sqlstate == "23505":
        return Conflict(name, f"already exists: {text}")
    if sqlstate == "23503":
        return Conflict(name, f"still referenced, or refers to nothing: {text}")
    if sqlstate == "23514":
        return ValidationFailed(
            _check_field(table, name), f"violates {name}", constraint=name
        )
    if sqlstate == "23502":
        return ValidationFailed(column or "unknown", "must not be null")
    return Conflict(name, text)


def _from_sqlite(text: str) -> DbError:
    if m := _SQLITE_UNIQUE.search(text):
        columns = [c.strip() for c in m.group(1).split(",")]
        table = columns[0].split(".")[0]
        name = unique_name(table, [c.split(".")[-1] for c in columns])
        return Conflict(name, f"already exists: {text}")
    if m := _SQLITE_CHECK.search(text):
        name = m.group(1)
        table = _table_of_check(name)
        return ValidationFailed(_check_field(table, name), f"violates {name}", constraint=name)
    if m := _SQLITE_NOT_NULL.search(text):
        return ValidationFailed(m.group(1), "must not be null")
    if "FOREIGN KEY constraint failed" in text:
        return Conflict("foreign_key", "still referenced, or refers to nothing")
    return Conflict("unknown", text)


def unique_name(table: str, columns: Sequence[str]) -> str:
    """Name of the unique constraint, unique index or primary key of ``table`` over
    exactly ``columns`` (what SQLite reports instead of a name)."""
    meta = Base.metadata.tables.get(table)
    if meta is None:
        return "unique"
    wanted = set(columns)
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint) and (
            {c.name for c in constraint.columns} == wanted
        ):
            return str(constraint.name)
    for index in meta.indexes:
        if index.unique and {c.name for c in index.columns} == wanted:
            return str(index.name)
    if {c.name for c in meta.primary_key.columns} == wanted:
        return str(meta.primary_key.name)
    return "unique"


def _table_of_check(name: str) -> str | None:
    for table in Base.metadata.tables.values():
        if any(isinstance(c, CheckConstraint) and c.name == name for c in table.constraints):
            return str(table.name)
    return None


def _check_field(table: str | None, name: str) -> str:
    """The first column of ``table`` a CHECK's SQL mentions: the field to blame."""
    meta: Table | None = Base.metadata.tables.get(table or "")
    if meta is None:
        return name
    for constraint in meta.constraints:
        if isinstance(constraint, CheckConstraint) and constraint.name == name:
            sql = str(constraint.sqltext)
            found = [(sql.find(c.name), c.name) for c in meta.columns
                     if re.search(rf"\b{c.name}\b", sql)]
            if found:
                return min(found)[1]
    return name

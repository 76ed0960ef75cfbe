"""Tenant-scoped create / read / list / update / delete, described once per entity.

An entity is a model, the rules of its writable fields, and which fields name rows of
other tenant-owned tables (those must exist in the same tenant: a queue of tenant A never
lists an agent of tenant B, whatever ids a client sends).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic

from sqlalchemy import ForeignKeyConstraint, Table, inspect, select
from sqlalchemy.orm import Session

from control_plane.db.errors import Conflict, NotFound, ValidationFailed
from control_plane.db.models import Base
from control_plane.db.repos.base import M, Page, flush, get_owned, paginate, translated
from control_plane.db.repos.fields import Field, check_fields, check_value

DEFAULT_PAGE = 50


@dataclass(frozen=True)
class Crud(Generic[M]):
    """CRUD of one tenant-owned model.

    ``refs`` maps a field to the model whose id it holds; ``filters`` are the fields a
    list may be filtered on (equality); ``check`` is a rule across fields, given the
    session, tenant, the checked values and the row being changed (None on create).
    """

    model: type[M]
    fields: Mapping[str, Field]
    refs: Mapping[str, type[Base]] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    check: Callable[[Session, str, Mapping[str, Any], M | None], None] | None = None

    @property
    def entity(self) -> str:
        """The entity's name in errors (its table name)."""
        return str(self.model.__tablename__)

    def create(self, session: Session, tenant: str, data: Mapping[str, Any]) -> M:
        """Add a row to ``tenant``; the row, flushed (its id assigned)."""
        values = check_fields(self.fields, data, creating=True)
        self._check_refs(session, tenant, values)
        if self.check is not None:
            self.check(session, tenant, values, None)
        row = self.model(tenant=tenant, **values)
        session.add(row)
        flush(session)
        return row

    def get(self, session: Session, tenant: str, key: object) -> M:
        """The row with primary key ``key`` in ``tenant``; NotFound otherwise."""
        return get_owned(session, self.model, tenant, key)

    def list(
        self,
        session: Session,
        tenant: str,
        *,
        limit: int = DEFAULT_PAGE,
        offset: int = 0,
        where: Mapping[str, Any] | None = None,
    ) -> Page[M]:
        """One page of the tenant's rows in primary-key order, optionally filtered."""
        stmt = select(self.model).where(self.model.tenant == tenant)  # type: ignore[attr-defined]
        for name, value in (where or {}).items():
            if name not in self.filters:
                raise ValidationFailed(name, f"cannot filter {self.entity} on it")
            checked = check_value(name, self.fields[name], value)
            stmt = stmt.where(getattr(self.model, name) == checked)
        stmt = stmt.order_by(*inspect(self.model).primary_key)
        return paginate(session, stmt, limit=limit, offset=offset)

    def update(
        self, session: Session, tenant: str, key: object, changes: Mapping[str, Any]
    ) -> M:
        """Change some fields of one row; the row."""
        row = self.get(session, tenant, key)
        values = check_fields(self.fields, changes, creating=False)
        self._check_refs(session, tenant, values)
        if self.check is not None:
            self.check(session, tenant, values, row)
        for name, value in values.items():
            setattr(row, name, value)
        flush(session)
        return row

    def delete(self, session: Session, tenant: str, key: object) -> None:
        """Delete one row (and what cascades from it); Conflict if something still needs it."""
        row = self.get(session, tenant, key)
        refuse_if_referenced(session, row)
        session.delete(row)
        flush(session)

    def _check_refs(self, session: Session, tenant: str, values: Mapping[str, Any]) -> None:
        for name, model in self.refs.items():
            ref = values.get(name)
            if ref is None:
                continue
            try:
                get_owned(session, model, tenant, ref)
            except NotFound:
                raise ValidationFailed(
                    name, f"no {model.__tablename__} {ref!r} in this tenant"
                ) from None


def refuse_if_referenced(session: Session, row: Base) -> None:
    """Conflict naming the foreign key when a row elsewhere still points at ``row`` through a
    key without ON DELETE (the ones meant to stop the delete).

    The database would refuse too, but SQLite does not say which key; checking first gives
    the same error, with the constraint's name, on every engine.
    """
    table = Base.metadata.tables[row.__tablename__]
    for other in Base.metadata.tables.values():
        for fk in other.foreign_key_constraints:
            if not _blocks_delete(fk, table):
                continue
            element = fk.elements[0]
            value = getattr(row, element.column.key)
            with translated():
                hit = session.scalar(
                    select(element.parent).where(element.parent == value).limit(1)
                )
            if hit is not None:
                raise Conflict(
                    str(fk.name), f"{table.name} {value!r} is still used by {other.name}"
                )


def _blocks_delete(fk: ForeignKeyConstraint, table: Table) -> bool:
    return fk.referred_table is table and fk.ondelete is None and len(fk.elements) == 1

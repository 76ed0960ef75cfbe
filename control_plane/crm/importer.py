"""Applying a customer file to a tenant: good rows imported, every bad row reported.

The caller runs :func:`import_customers` in one transaction: the good rows commit together.
A row is found again by its external id, else by its first phone number, so importing the
same file twice updates the customers instead of duplicating them. Rows are checked
completely (in :mod:`control_plane.crm.rows` and by the repositories' field rules) before
anything is written, so a bad row never leaves the transaction half-done; an unexpected
database refusal (a concurrent import of the same customers) aborts the whole import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from control_plane.crm.rows import CustomerRow, RowError, check_row
from control_plane.crm.table import RawRow
from control_plane.db.errors import ValidationFailed
from control_plane.db.repos import crm
from control_plane.db.repos.api_crm import import_keys
from control_plane.db.repos.entities import customers

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_BATCH = 500
# The repositories' field names, as the file's columns.
_COLUMN = {"external_ref": "external_id", "number": "phones"}


@dataclass
class ImportReport:
    """What an import did: rows read, customers created and updated, rows refused."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        """How many rows were not imported (each has at least one entry in ``errors``)."""
        return len({e.row for e in self.errors})


@dataclass
class _Keys:
    """The tenant's customers by external id and by phone, kept current during the import."""

    refs: dict[str, int]
    phones: dict[str, list[int]]

    def existing(self, row: CustomerRow) -> int | None:
        if row.external_id is not None:
            return self.refs.get(row.external_id)
        matches = self.phones.get(row.phones[0], [])
        if len(matches) > 1:
            raise ValidationFailed("phones", f"{len(matches)} customers have {row.phones[0]}: "
                                   "add an external_id to say which one")
        return matches[0] if matches else None

    def add(self, customer_id: int, row: CustomerRow, numbers: Iterable[str]) -> None:
        if row.external_id is not None:
            self.refs[row.external_id] = customer_id
        for number in numbers:
            self.phones.setdefault(number, []).append(customer_id)


def _apply(session: Session, tenant: str, row: CustomerRow, keys: _Keys) -> bool:
    """Create or update the row's customer; True when created."""
    values = {"name": row.name, "email": row.email, "vip": row.vip, "blocked": row.blocked}
    key = keys.existing(row)
    if key is None:
        made = crm.create_customer(session, tenant, {**values, "external_ref": row.external_id},
                                   row.phones)
        keys.add(made.id, row, row.phones)
        return True
    customer = customers.update(session, tenant, key, values)
    have = {p.number for p in customer.phones}
    new = [n for n in row.phones if n not in have]
    for number in new:  # numbers are added, never removed, by an import
        crm.add_phone(session, tenant, customer_id=key, number=number)
    keys.add(key, row, new)
    return False


def import_customers(session: Session, tenant: str, rows: Iterable[RawRow]) -> ImportReport:
    """Import every good row of ``rows`` into ``tenant``; the report lists every bad one."""
    report, keys = ImportReport(), _Keys(*import_keys(session, tenant))
    for raw in rows:
        report.rows += 1
        checked = check_row(raw)
        if isinstance(checked, list):
            report.errors.extend(checked)
            continue
        try:
            created = _apply(session, tenant, checked, keys)
        except ValidationFailed as exc:  # raised before any write of this row
            column = _COLUMN.get(exc.field.split("[")[0], exc.field)
            report.errors.append(RowError(raw.number, column, exc.reason))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
        if report.rows % _BATCH == 0:
            # Written rows are flushed; forgetting them keeps each flush and autoflush
            # proportional to one batch, not to the whole file.
            session.expunge_all()
    return report

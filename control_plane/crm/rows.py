"""Checking one row of a customer file: a :class:`CustomerRow` or every problem it has.

Each problem names the row number, the column and the reason, so a person can fix the
file; a row with any problem is not imported (the others are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from control_plane.crm.table import PHONE_SEPARATOR, RawRow

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_TRUE = frozenset({"true", "yes", "y", "1", "是"})
_FALSE = frozenset({"false", "no", "n", "0", "否", ""})
MAX_PHONES = 20


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: where (row number, column) and why."""

    row: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """A checked row: what the customer should look like after the import."""

    number: int
    external_id: str | None
    name: str
    email: str | None
    phones: tuple[str, ...]
    vip: bool
    blocked: bool

    @property
    def key(self) -> str:
        """What finds this customer again on a re-import: the external id, else a phone."""
        return self.external_id or (self.phones[0] if self.phones else "")


def _flag(row: RawRow, column: str, errors: list[RowError]) -> bool:
    value = row.cells.get(column, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        errors.append(RowError(row.number, column, "must be true or false (yes/no, 1/0)"))
    return False


def _phones(row: RawRow, errors: list[RowError]) -> tuple[str, ...]:
    raw = row.cells.get("phones", "")
    numbers: list[str] = []
    for part in re.split(rf"[{PHONE_SEPARATOR},\s]+", raw):
        if not part:
            continue
        if not E164.match(part):
            errors.append(RowError(row.number, "phones", f"{part!r} is not an E.164 number "
                                   "like +8613800138000 (keep the leading +)"))
        elif part not in numbers:
            numbers.append(part)
    if len(numbers) > MAX_PHONES:
        errors.append(RowError(row.number, "phones", f"more than {MAX_PHONES} numbers"))
    return tuple(numbers)


def check_row(row: RawRow) -> CustomerRow | list[RowError]:
    """The row as a customer, or every problem it has."""
    errors: list[RowError] = []
    if "_extra" in row.cells:
        errors.append(RowError(row.number, "(row)", row.cells["_extra"]))
    name = row.cells.get("name", "")
    if not name:
        errors.append(RowError(row.number, "name", "required"))
    elif len(name) > 200:
        errors.append(RowError(row.number, "name", "longer than 200 characters"))
    email = row.cells.get("email", "") or None
    if email is not None and (len(email) > 254 or not EMAIL.match(email)):
        errors.append(RowError(row.number, "email", "not an e-mail address"))
    external = row.cells.get("external_id", "") or None
    if external is not None and len(external) > 64:
        errors.append(RowError(row.number, "external_id", "longer than 64 characters"))
    phones = _phones(row, errors)
    vip, blocked = _flag(row, "vip", errors), _flag(row, "blocked", errors)
    if not errors and external is None and not phones:
        errors.append(RowError(row.number, "external_id", "give an external_id or a phone "
                               "number, so that a re-import finds the customer again"))
    if errors:
        return errors
    return CustomerRow(row.number, external, name, email, phones, vip, blocked)

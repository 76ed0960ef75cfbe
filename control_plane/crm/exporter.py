"""Writing customers to a file with the import's columns, personal data masked on demand.

CSV is produced chunk by chunk (the route streams each page as it is read); Excel is
written with openpyxl's write-only workbook (rows go straight to the file, not to memory).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from control_plane.crm.table import COLUMNS, PHONE_SEPARATOR

MASK = "[redacted]"


class _Phone(Protocol):
    number: str


class CustomerLike(Protocol):
    """What the exporter reads of a customer."""

    external_ref: str | None
    name: str
    email: str | None
    vip: bool
    blocked: bool

    @property
    def phones(self) -> Sequence[_Phone]:
        """The customer's numbers."""


def cells(customer: CustomerLike, *, mask: bool) -> list[str]:
    """The customer's row, in :data:`COLUMNS` order; names, e-mails and numbers masked when
    ``mask`` (for roles that must not see personal data)."""
    phones = [MASK if mask else p.number for p in customer.phones]
    email = customer.email
    return [
        customer.external_ref or "",
        MASK if mask else customer.name,
        (MASK if mask else email) if email else "",
        PHONE_SEPARATOR.join(phones),
        "true" if customer.vip else "false",
        "true" if customer.blocked else "false",
    ]


def csv_chunk(rows: Iterable[Sequence[str]], *, header: bool = False) -> bytes:
    """Rows as CSV bytes (UTF-8; the first chunk starts with a BOM so Excel reads Chinese
    names right, and the header)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        out.write("\ufeff")
        writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


class XlsxFile:
    """An Excel file being written, one batch of rows at a time."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("customers")
        self._sheet.append(list(COLUMNS))

    def append(self, rows: Iterable[Sequence[str]]) -> None:
        """Add rows (every cell as text: numbers keep their leading +)."""
        for row in rows:
            self._sheet.append(list(row))

    def close(self) -> None:
        """Finish the file."""
        self._book.save(self.path)

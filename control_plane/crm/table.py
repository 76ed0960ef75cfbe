"""The customer file: its columns, and reading CSV or Excel (xlsx) into numbered rows.

Import and export share :data:`COLUMNS`, so an exported file imports back unchanged. Cells
come out as text (Excel numbers and booleans are turned into their text, never guessed
into something else); a file that cannot be read at all raises :class:`UnreadableFile`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

#: The columns of the customer file, in order.
COLUMNS = ("external_id", "name", "email", "phones", "vip", "blocked")
REQUIRED_COLUMNS = frozenset({"name"})
MAX_ROWS = 100_000
PHONE_SEPARATOR = ";"


class FileFormat(StrEnum):
    """The two formats a customer file comes in."""

    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        """The file's MIME type."""
        if self is FileFormat.CSV:
            return "text/csv"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableFile(ValueError):
    """The file is not a customer file at all (not CSV/xlsx, no header, unknown columns)."""

    def __init__(self, reason: str, *, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row: its number in the file (the header is row 1) and its cells by column."""

    number: int
    cells: dict[str, str]


def _header(cells: list[str]) -> list[str]:
    names = [c.strip().lower() for c in cells]
    for name in names:
        if name and name not in COLUMNS:
            raise UnreadableFile(f"unknown column {name!r}; the columns are "
                                 f"{', '.join(COLUMNS)}", column=name)
    seen = [n for n in names if n]
    if len(seen) != len(set(seen)):
        raise UnreadableFile("a column appears twice in the header")
    missing = REQUIRED_COLUMNS - set(seen)
    if missing:
        raise UnreadableFile(f"missing column {', '.join(sorted(missing))}",
                             column=min(missing))
    return names


def _rows(lines: Iterator[list[str]]) -> Iterator[RawRow]:
    try:
        header = _header(next(lines))
    except StopIteration:
        raise UnreadableFile("the file is empty: no header row") from None
    for number, cells in enumerate(lines, start=2):
        if number - 1 > MAX_ROWS:
            raise UnreadableFile(f"more than {MAX_ROWS} rows: split the file")
        if not any(c.strip() for c in cells):
            continue  # blank lines are layout, not customers
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(header) if name}
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            values["_extra"] = "cells beyond the header's columns"
        yield RawRow(number, values)


def read_csv(data: bytes) -> Iterator[RawRow]:
    """Rows of a UTF-8 CSV file (a BOM, as Excel writes it, is accepted)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 text (byte {exc.start})") from None
    try:
        yield from _rows(iter(csv.reader(io.StringIO(text, newline=""), strict=True)))
    except csv.Error as exc:
        raise UnreadableFile(f"not valid CSV: {exc}") from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Iterator[RawRow]:
    """Rows of the first sheet of an Excel workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"not an Excel (xlsx) workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        lines = ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
        yield from _rows(lines)
    finally:
        book.close()


def read_file(data: bytes, fmt: FileFormat) -> Iterator[RawRow]:
    """Rows of ``data`` in format ``fmt``."""
    return read_csv(data) if fmt is FileFormat.CSV else read_xlsx(data)

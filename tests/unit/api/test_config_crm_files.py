"""Customer files without a database: reading CSV/xlsx, checking rows, writing exports."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from control_plane.crm.exporter import MASK, cells, csv_chunk
from control_plane.crm.rows import CustomerRow, RowError, check_row
from control_plane.crm.table import MAX_ROWS, RawRow, UnreadableFile, read_csv, read_xlsx


def test_csv_header_is_case_blind_and_blank_lines_are_skipped() -> None:
    rows = list(read_csv("\ufeffName,PHONES\r\nA,+8613800000001\r\n,\r\nB,\r\n".encode()))
    assert rows == [RawRow(2, {"name": "A", "phones": "+8613800000001"}),
                    RawRow(4, {"name": "B", "phones": ""})]


@pytest.mark.parametrize(("data", "column", "words"), [
    (b"", None, "empty"),
    (b"name,colour\n", "colour", "unknown column"),
    (b"email\n", "name", "missing column name"),
    (b"name,name\n", None, "twice"),
    (b"name\n\xff\n", None, "UTF-8"),
])
def test_unreadable_csv(data: bytes, column: str | None, words: str) -> None:
    with pytest.raises(UnreadableFile, match=words) as err:
        list(read_csv(data))
    assert err.value.column == column


def test_too_many_rows_is_refused_not_truncated() -> None:
    data = b"name\n" + b"x\n" * (MAX_ROWS + 1)
    with pytest.raises(UnreadableFile, match="more than"):
        list(read_csv(data))


def test_xlsx_cells_become_text() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "vip", "phones", "external_id"])
    sheet.append(["A", True, 8613800000001, 42.0])
    out = io.BytesIO()
    book.save(out)
    assert list(read_xlsx(out.getvalue())) == [RawRow(2, {
        "name": "A", "vip": "true", "phones": "8613800000001", "external_id": "42"})]
    with pytest.raises(UnreadableFile, match="not an Excel"):
        list(read_xlsx(b"name\nA\n"))


def test_a_good_row() -> None:
    got = check_row(RawRow(7, {"name": "张伟", "phones": "+8613800000001; +8613800000001,"
                                                       "+8613800000002", "vip": "是"}))
    assert got == CustomerRow(7, None, "张伟", None, ("+8613800000001", "+8613800000002"),
                              True, False)
    assert isinstance(got, CustomerRow) and got.key == "+8613800000001"


def test_every_problem_of_a_row_is_reported() -> None:
    got = check_row(RawRow(3, {"name": "", "email": "x@", "phones": "138", "vip": "maybe",
                               "blocked": "no", "_extra": "cells beyond the header"}))
    assert isinstance(got, list)
    assert {(e.row, e.column) for e in got} == {(3, "(row)"), (3, "name"), (3, "email"),
                                                (3, "phones"), (3, "vip")}
    assert check_row(RawRow(4, {"name": "No key"})) == [
        RowError(4, "external_id", "give an external_id or a phone number, so that a "
                 "re-import finds the customer again")]


def test_export_cells_and_masking() -> None:
    customer = SimpleNamespace(external_ref="E1", name="张伟", email="z@example.cn", vip=True,
                               blocked=False, phones=[SimpleNamespace(number="+861"),
                                                      SimpleNamespace(number="+862")])
    assert cells(customer, mask=False) == ["E1", "张伟", "z@example.cn", "+861;+862",
                                           "true", "false"]
    assert cells(customer, mask=True) == ["E1", MASK, MASK, f"{MASK};{MASK}", "true",
                                          "false"]
    first = csv_chunk([["a", "b,c"]], header=True).decode("utf-8")
    assert first.startswith("\ufeffexternal_id,name,") and first.endswith('a,"b,c"\r\n')
    assert not csv_chunk([["x"]]).startswith("\ufeff".encode())

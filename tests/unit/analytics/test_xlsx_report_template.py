"""Template checks of the Excel KPI report: every bad template fails with a stable id and
a message naming the sheet and cell; the shipped template is valid; request validation."""

from __future__ import annotations

import zipfile
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from analytics.kpis import Grain
from analytics.reports import DEFAULT_TEMPLATE, KpiReportRequest, ReportError, TemplateError
from analytics.reports.__main__ import main as reports_cli
from analytics.reports.xlsx import load_template
from analytics.reports.xlsx.data import chunks
from analytics.reports.xlsx.default_template import make_default_template
from analytics.reports.xlsx.sheetxml import cell, col_index, col_letters, excel_serial
from analytics.reports.xlsx.writer import _extend_sqref

SH = ZoneInfo("Asia/Shanghai")


def _book(tmp: Path, cells: dict[str, str], name: str = "t.xlsx") -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Data"
    for ref, value in cells.items():
        ws[ref] = value
    path = tmp / name
    wb.save(path)
    return path


def test_shipped_template_has_the_three_regions(tmp_path: Path) -> None:
    tpl = load_template(DEFAULT_TEMPLATE)
    assert {d: (r.sheet, r.row) for d, r in tpl.regions.items()} == {
        "queue": ("Queue KPIs 队列指标", 5), "agent": ("Agent league 坐席排名", 5),
        "abandon": ("Abandonment 放弃", 5)}
    assert all(r.tables for r in tpl.regions.values())
    # The shipped file is what the generator makes (cell for cell).
    fresh = tmp_path / "fresh.xlsx"
    make_default_template(fresh)
    a, b = load_workbook(DEFAULT_TEMPLATE), load_workbook(fresh)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == \
            [[c.value for c in r] for r in b[name].iter_rows()]


@pytest.mark.parametrize(("cells", "error_id", "words"), [
    ({"A1": "just a title"}, "report.template.no_data_region", "{{queue.service_level}}"),
    ({"A5": "{{queue.servce_level}}"}, "report.template.unknown_field", "cell A5"),
    ({"A5": "{{queues.offered}}"}, "report.template.unknown_field", "unknown dataset"),
    ({"B2": "Tenant {{report.tennant}}", "A5": "{{queue.offered}}"},
     "report.template.unknown_field", "cell B2"),
    ({"A5": "{{queue.offered}}", "B6": "{{queue.answered}}"}, "report.template.markers_split",
     "row 5"),
    ({"A5": "{{queue.offered}}", "C9": "Total"}, "report.template.content_below_data",
     "row 9"),
    ({"A5": "Offered: {{queue.offered}}"}, "report.template.bad_marker", "alone"),
    ({"A5": "{{queue.offered}}", "B5": "{{abandon.abandoned}}"},
     "report.template.markers_split", "share one row"),
])
def test_bad_templates_fail_with_stable_ids(tmp_path: Path, cells: dict[str, str],
                                            error_id: str, words: str) -> None:
    with pytest.raises(TemplateError) as err:
        load_template(_book(tmp_path, cells))
    assert err.value.error_id == error_id
    assert words in str(err.value)


def test_not_a_workbook(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as missing:
        load_template(tmp_path / "nope.xlsx")
    assert missing.value.error_id == "report.template.not_found"
    text = tmp_path / "t.xlsx"
    text.write_text("name,value\n")
    with pytest.raises(TemplateError) as not_zip:
        load_template(text)
    assert not_zip.value.error_id == "report.template.not_xlsx"
    other = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(TemplateError) as no_book:
        load_template(other)
    assert no_book.value.error_id == "report.template.not_xlsx"


def test_markers_spread_over_sheets_are_refused(tmp_path: Path) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first["A5"] = "{{agent.rank}}"
    wb.create_sheet("Second")["A5"] = "{{agent.agent}}"
    path = tmp_path / "two.xlsx"
    wb.save(path)
    with pytest.raises(TemplateError) as err:
        load_template(path)
    assert err.value.error_id == "report.template.markers_split"


def test_request_validation() -> None:
    with pytest.raises(ReportError) as err:
        KpiReportRequest("acme", datetime(2026, 3, 2), datetime(2026, 3, 3))
    assert err.value.error_id == "report.bad_request" and "time zone" in str(err.value)
    with pytest.raises(ReportError) as backwards:
        KpiReportRequest("acme", datetime(2026, 3, 3, tzinfo=SH), datetime(2026, 3, 2, tzinfo=SH))
    assert backwards.value.error_id == "report.bad_request"
    with pytest.raises(ReportError):
        KpiReportRequest("", datetime(2026, 3, 2, tzinfo=SH), datetime(2026, 3, 3, tzinfo=SH))


def test_cli_reports_errors_by_id(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["xlsx", "--clickhouse", "127.0.0.1:1", "--tenant", "acme", "--out",
            str(tmp_path / "r.xlsx")]
    assert reports_cli([*args, "--from", "March", "--to", "2026-03-03"]) == 2
    assert capsys.readouterr().err.startswith("error[report.bad_request]: 'March'")
    assert reports_cli([*args, "--from", "2026-03-02", "--to", "2026-03-03",
                        "--template", str(tmp_path / "missing.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("error[report.template.not_found]: ")
    # Nothing listens on port 1: the engine is unreachable, said by id, no file left.
    assert reports_cli([*args, "--from", "2026-03-02", "--to", "2026-03-03"]) == 2
    assert capsys.readouterr().err.startswith("error[report.backend_unavailable]: ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("grain", "start", "end", "expected"), [
    (Grain.HOUR, (2026, 1, 15), (2026, 3, 10), [(1, 15), (2, 1), (3, 1), (3, 10)]),
    # 15-minute buckets: a week per query.
    (Grain.MIN15, (2026, 2, 20), (2026, 3, 10), [(2, 20), (2, 27), (3, 6), (3, 10)]),
    (Grain.MONTH, (2026, 12, 1), (2027, 2, 1), [(12, 1), (1, 1), (2, 1)]),
    # Weekly buckets: cut on Mondays only (2026-03-02 is one), every four weeks.
    (Grain.WEEK, (2026, 2, 25), (2026, 4, 20), [(2, 25), (3, 2), (3, 30), (4, 20)]),
    (Grain.DAY, (2026, 3, 2), (2026, 3, 3), [(3, 2), (3, 3)]),
])
def test_chunks_fall_on_bucket_edges(grain: Grain, start: tuple[int, int, int],
                                     end: tuple[int, int, int],
                                     expected: list[tuple[int, int]]) -> None:
    req = KpiReportRequest("acme", datetime(*start, tzinfo=SH), datetime(*end, tzinfo=SH),
                           grain)
    parts = chunks(req)
    edges = [parts[0][0], *(hi for _, hi in parts)]
    assert [(e.month, e.day) for e in edges] == expected
    assert all(e.hour == e.minute == 0 for e in edges)
    assert all(a[1] == b[0] for a, b in pairwise(parts))


def test_cells_and_ranges() -> None:
    assert [col_letters(i) for i in (1, 26, 27, 702, 703)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert col_index("AAA") == 703
    assert excel_serial(datetime(2026, 3, 2, 6, 0, tzinfo=SH)) == pytest.approx(46083.25)
    assert cell("B7", None, "3") == '<c r="B7" s="3"/>'
    assert cell("B7", float("nan"), None) == '<c r="B7"/>'
    assert cell("A1", "a<b&\x01c", None).endswith(">a&lt;b&amp;c</t></is></c>")
    assert cell("A1", 2, "1") == '<c r="A1" s="1"><v>2</v></c>'
    assert _extend_sqref('<x sqref="F5 A1:B2 C5:D5"/>', 5, 9) == '<x sqref="F5:F9 A1:B2 C5:D9"/>'

"""Excel KPI reports on the real engines with the hand-checked fixture day.

The numbers in each sheet are those of the KPI queries; a restyled template (fills, number
formats, headers, a logo, an extra sheet with a formula) keeps all of it; the CLI works
against a real ClickHouse server and reports errors by id.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import PatternFill
from PIL import Image as PilImage

from analytics.kpis import Dimension, Grain, KpiQuery, QueueKpis, queue_kpis
from analytics.reports import DEFAULT_TEMPLATE, KpiReportRequest, ReportProgress, build_kpi_report
from analytics.reports.xlsx.fields import ABANDON_FIELDS, QUEUE_FIELDS
from analytics.schema import EVENT_TABLES, migrate
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.backends.chdb_backend import ChdbBackend
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from analytics.sink.events import normalize
from control_plane.topology.render import REPO_ROOT
from tests.integration.analytics import kpi_fixture as fx
from tests.integration.analytics.clickhouse_server import RunningClickHouse
from tests.integration.analytics.conftest import fresh_database

QUEUE_SHEET, AGENT_SHEET, ABANDON_SHEET = ("Queue KPIs 队列指标", "Agent league 坐席排名",
                                          "Abandonment 放弃")
FIRST = 5  # the template's data row


@pytest.fixture(scope="module", params=["chdb", "server"])
def engine(request: pytest.FixtureRequest) -> Iterator[AnalyticsBackend]:
    db = fresh_database()
    backend: AnalyticsBackend
    if request.param == "chdb":
        backend = request.getfixturevalue("chdb_session_backend")
        assert isinstance(backend, ChdbBackend)
    else:
        server: RunningClickHouse = request.getfixturevalue("clickhouse_server")
        backend = ClickHouseBackend(server.host, server.port, database=db)
    backend.database = db
    migrate(backend, db, backend.dialect)
    for table, rows in (("queue_calls", fx.QUEUE_CALLS), ("agent_states", fx.AGENT_STATES)):
        backend.insert(EVENT_TABLES[table], [normalize(table, r) for r in rows], batch_id=1)
    yield backend
    if request.param == "server":
        backend.close()


def _req(**kw: Any) -> KpiReportRequest:
    base: dict[str, Any] = {"tenant": "acme", "start": fx.local(1, 0, 0),
                            "end": fx.local(3, 0, 0), "grain": Grain.HOUR,
                            "sl_threshold_s": 20, "short_abandon_s": 5}
    return KpiReportRequest(**{**base, **kw})


def _rows(ws: Any, width: int) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(min_row=FIRST, max_col=width, values_only=True)]


def _expected(row: QueueKpis, fields: dict[str, Any]) -> list[Any]:
    out = []
    for get in fields.values():
        v = get(row)
        out.append(v.replace(tzinfo=None) if isinstance(v, datetime) else v)
    return out


def _approx(rows: list[list[Any]]) -> list[list[Any]]:
    return [[pytest.approx(v) if isinstance(v, float) else v for v in r] for r in rows]


def _template_columns(fields: dict[str, Any], tmp: Path, sheet: str, dataset: str) -> Path:
    """A template whose data sheet lists every field of ``fields`` in order."""
    wb = load_workbook(DEFAULT_TEMPLATE)
    ws = wb[sheet]
    for table in list(ws.tables):
        del ws.tables[table]
    for i, name in enumerate(fields, start=1):
        ws.cell(row=4, column=i, value=name)
        ws.cell(row=FIRST, column=i, value=f"{{{{{dataset}.{name}}}}}")
    path = tmp / f"{dataset}-all.xlsx"
    wb.save(path)
    return path


def test_queue_sheet_equals_the_kpi_query(engine: AnalyticsBackend, tmp_path: Path) -> None:
    template = _template_columns(QUEUE_FIELDS, tmp_path, QUEUE_SHEET, "queue")
    out = tmp_path / "r.xlsx"
    summary = build_kpi_report(engine, _req(), out, template=template)
    expected = queue_kpis(engine, KpiQuery("acme", fx.local(1, 0, 0), fx.local(3, 0, 0),
                                           Grain.HOUR, by=(Dimension.QUEUE,),
                                           sl_threshold_s=20, short_abandon_s=5))
    rows = _rows(load_workbook(out)[QUEUE_SHEET], len(QUEUE_FIELDS))
    assert rows == _approx([_expected(r, QUEUE_FIELDS) for r in expected])
    assert summary.rows["queue"] == len(expected) == 5  # Sun 23h, Mon 0h sales, 9h, 10h x2
    # The hand-checked Monday 00:00 sales hour: c1 c2 c3 c4.
    monday = next(r for r in rows if r[0] == datetime(2026, 3, 2, 0, 0) and r[1] == "sales")
    by = dict(zip(QUEUE_FIELDS, monday, strict=True))
    assert (by["offered"], by["answered"], by["abandoned"], by["short_abandoned"]) == (4, 2, 2, 1)
    assert by["service_level"] == pytest.approx(1 / 3)  # c1 in 20 s of (2 + 2 - 1)
    assert by["asa_s"] == pytest.approx((8 + 25) / 2)


def test_default_template_sheets(engine: AnalyticsBackend, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    build_kpi_report(engine, _req(), out, now=fx.local(5, 9, 30))
    wb = load_workbook(out)
    cover = wb["Report 报表"]
    assert (cover["B3"].value, cover["B5"].value) == ("acme", "2026-03-01 00:00 – 2026-03-03 00:00")
    assert cover["B10"].value == "2026-03-05 09:30"
    assert wb[QUEUE_SHEET]["A1"].value == "Queue KPIs per interval — acme"
    expected = queue_kpis(engine, _req().kpi_query())
    # Abandonment sheet: the same KPI rows, its own columns.
    abandon = _rows(wb[ABANDON_SHEET], 8)
    cols = ("bucket", "queue", "offered", "abandoned", "short_abandoned", "abandonment_rate",
            "abandonment_rate_excl_short", "longest_wait_s")
    assert abandon == _approx([[ABANDON_FIELDS[c](r) if c != "bucket" else
                                r.bucket.replace(tzinfo=None) for c in cols] for r in expected])
    # Agent league over the range: a1 answered c1 c5 c8s1, a2 c7 c2.
    league = _rows(wb[AGENT_SHEET], 9)
    assert [r[:3] for r in league] == [[1, "a1", 3], [2, "a2", 2]]
    a1, a2 = league
    assert a1[3] == pytest.approx((130 + 400 + 50) / 3)  # AHT = talk + hold + wrap
    assert a2[3] == pytest.approx((60 + 230) / 2)
    # a1: talk 120 + wrap 30 busy, 1200 s available, 450 s paused.
    assert a1[6] == pytest.approx(150 / 1350) and a1[7] == pytest.approx(150 / 1800)
    assert a1[8] == 1800 and (a2[6], a2[7]) == (1, 1)
    # Tables, defined names and the SL conditional format cover the data rows.
    last = FIRST + len(expected) - 1
    assert wb[QUEUE_SHEET].tables["QueueData"].ref == f"A4:K{last}"
    assert wb.defined_names["report_queue"].attr_text == \
        f"'{QUEUE_SHEET}'!$A${FIRST}:$K${last}"
    ranges = [str(r.sqref) for r in wb[QUEUE_SHEET].conditional_formatting]
    assert ranges == [f"F{FIRST}:F{last}"]
    assert wb[QUEUE_SHEET][f"F{FIRST}"].number_format == "0.0%"
    assert wb[QUEUE_SHEET][f"A{last}"].number_format == "yyyy-mm-dd hh:mm"


def test_filters_grain_and_progress(engine: AnalyticsBackend, tmp_path: Path) -> None:
    seen: list[ReportProgress] = []
    # Two months: interval sheets are read in two chunks each, the league in one query.
    req = _req(start=datetime(2026, 2, 1, tzinfo=fx.SHANGHAI), end=fx.local(31, 0, 0),
               grain=Grain.DAY, queues=("support",))
    buf = io.BytesIO()
    summary = build_kpi_report(engine, req, buf, progress=seen.append)
    rows = _rows(load_workbook(io.BytesIO(buf.getvalue()))[QUEUE_SHEET], 3)
    assert rows == [[datetime(2026, 3, 2), "support", 3]]  # c5 c6 c8s1 (c8s0 was sales)
    assert summary.rows == {"queue": 1, "agent": 1, "abandon": 1}  # a1 answered c5 and c8s1
    assert [p.step for p in seen] == [1, 2, 3, 4, 5] and {p.steps for p in seen} == {5}


def test_empty_range_keeps_the_template_usable(engine: AnalyticsBackend,
                                               tmp_path: Path) -> None:
    out = tmp_path / "empty.xlsx"
    summary = build_kpi_report(engine, _req(tenant="nobody"), out)
    assert summary.rows == {"queue": 0, "agent": 0, "abandon": 0}
    wb = load_workbook(out)
    assert wb[QUEUE_SHEET]["A4"].value == "Interval 时段"
    assert wb[QUEUE_SHEET][f"A{FIRST}"].value is None  # the marker row is gone
    assert wb[QUEUE_SHEET].tables["QueueData"].ref == f"A4:K{FIRST}"


def test_restyled_template_keeps_its_styles(engine: AnalyticsBackend, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    PilImage.new("RGB", (40, 20), (200, 30, 30)).save(logo)
    wb = load_workbook(DEFAULT_TEMPLATE)
    ws = wb[QUEUE_SHEET]
    ws["A4"] = "时段"
    ws["A4"].fill = PatternFill("solid", fgColor="FFC000")
    ws[f"F{FIRST}"].number_format = "0.00%"
    ws.column_dimensions["B"].width = 33
    wb["Report 报表"].add_image(Image(str(logo)), "D2")
    notes = wb.create_sheet("Notes 备注")
    notes["A1"] = "Prepared for the board"
    notes["A2"] = "=SUM(INDEX(report_queue,0,3))"
    restyled = tmp_path / "restyled.xlsx"
    wb.save(restyled)
    out = tmp_path / "r.xlsx"
    build_kpi_report(engine, _req(), out, template=restyled)

    got = load_workbook(out)
    q = got[QUEUE_SHEET]
    assert q["A4"].value == "时段"
    assert q["A4"].fill.fgColor.rgb == "00FFC000"
    assert {q[f"F{r}"].number_format for r in range(FIRST, FIRST + 5)} == {"0.00%"}
    assert q.column_dimensions["B"].width == 33
    assert got.sheetnames[-1] == "Notes 备注" and got["Notes 备注"]["A1"].value == \
        "Prepared for the board"
    assert got["Notes 备注"]["A2"].value == "=SUM(INDEX(report_queue,0,3))"
    assert len(got["Report 报表"]._images) == 1  # type: ignore[attr-defined]
    with zipfile.ZipFile(restyled) as a, zipfile.ZipFile(out) as b:
        media = [n for n in a.namelist() if n.startswith("xl/media/")]
        assert media and all(a.read(n) == b.read(n) for n in media)
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")  # byte for byte
        assert "fullCalcOnLoad" in b.read("xl/workbook.xml").decode()


def test_cli_against_a_clickhouse_server(clickhouse_server: RunningClickHouse,
                                         tmp_path: Path) -> None:
    db = fresh_database()
    backend = ClickHouseBackend(clickhouse_server.host, clickhouse_server.port, database=db)
    migrate(backend, db, backend.dialect)
    backend.insert(EVENT_TABLES["queue_calls"],
                   [normalize("queue_calls", r) for r in fx.QUEUE_CALLS], batch_id=1)
    backend.close()
    out = tmp_path / "cli.xlsx"
    base = [sys.executable, "-m", "analytics.reports", "xlsx", "--clickhouse",
            f"{clickhouse_server.host}:{clickhouse_server.port}", "--database", db,
            "--tenant", "acme", "--from", "2026-03-02", "--to", "2026-03-03",
            "--grain", "day", "--sl-threshold", "20", "--short-abandon", "5"]
    done = subprocess.run([*base, "--out", str(out)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "report: 3/3 queries" in done.stderr  # one chunk per sheet within a month
    rows = _rows(load_workbook(out)[QUEUE_SHEET], 6)
    assert [r[:3] for r in rows] == [[datetime(2026, 3, 2), "sales", 5],
                                     [datetime(2026, 3, 2), "support", 3]]
    bad = tmp_path / "bad.xlsx"
    Workbook().save(bad)
    failed = subprocess.run([*base, "--out", str(tmp_path / "x.xlsx"), "--template", str(bad)],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
                            check=False)
    assert failed.returncode == 2
    assert failed.stderr.startswith("error[report.template.no_data_region]: ")
    assert not (tmp_path / "x.xlsx").exists()


def test_chunked_15_minute_report_equals_one_query(engine: AnalyticsBackend,
                                                   tmp_path: Path) -> None:
    # Three weekly chunks; c9 (March 10, 00:12) lies just after the last cut.
    req = _req(start=datetime(2026, 2, 24, tzinfo=fx.SHANGHAI), end=fx.local(11, 0, 0),
               grain=Grain.MIN15)
    seen: list[ReportProgress] = []
    out = tmp_path / "r.xlsx"
    build_kpi_report(engine, req, out, progress=seen.append)
    whole = queue_kpis(engine, req.kpi_query())
    assert len(whole) == 8 and whole[-1].bucket == fx.local(10, 0, 0)  # c7 c1+c2 c3 c4 c5+c6
    # (one bucket) c8s0 c8s1 (two queues) c9
    rows = _rows(load_workbook(out)[QUEUE_SHEET], 6)
    cols = ("bucket", "queue", "offered", "answered", "abandoned", "service_level")
    assert rows == _approx([_expected(r, {c: QUEUE_FIELDS[c] for c in cols}) for r in whole])
    assert seen[-1].steps == 3 + 1 + 3

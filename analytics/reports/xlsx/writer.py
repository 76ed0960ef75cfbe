"""Build a KPI report: the template's parts copied, its data regions streamed full of rows.

Each data sheet is written row by row straight into the output zip (constant memory however
long the range); tables over a data row are stretched to the last row, defined names
``report_<dataset>`` point at each region, conditional formats on a data row cover every
row, and Excel recalculates formulas on open.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from analytics.kpis.service import KpiEngine
from analytics.reports.xlsx.data import KpiReportRequest, agent_league, chunks, interval_rows
from analytics.reports.xlsx.errors import ReportError
from analytics.reports.xlsx.fields import DATASETS
from analytics.reports.xlsx.sheetxml import MAX_ROWS, cell, col_index, split_ref, text
from analytics.reports.xlsx.template import _ROW, Region, Template, _attrs, load_template
from analytics.sink.backend import BackendError, BackendUnavailable

DEFAULT_TEMPLATE = Path(__file__).parent.parent / "templates" / "kpi_report.xlsx"


@dataclass(frozen=True, slots=True)
class ReportProgress:
    """Where a long report stands: ``step`` of ``steps`` queries done, rows so far."""

    step: int
    steps: int
    rows: int
    dataset: str


Progress = Callable[[ReportProgress], None]


@dataclass
class ReportSummary:
    """What a built report holds: data rows per dataset."""

    rows: dict[str, int] = field(default_factory=dict)


def scalar_values(req: KpiReportRequest, now: datetime) -> dict[str, str]:
    """The ``{{report.<name>}}`` texts of a request, times in the tenant's zone."""
    zone = ZoneInfo(req.tz)
    fmt = "%Y-%m-%d %H:%M"
    start, end = req.start.astimezone(zone).strftime(fmt), req.end.astimezone(zone).strftime(fmt)
    return {
        "tenant": req.tenant, "queues": ", ".join(req.queues) or "*",
        "from": start, "to": end, "period": f"{start} – {end}", "grain": req.grain.value,
        "timezone": req.tz, "generated_at": now.astimezone(zone).strftime(fmt),
        "sl_threshold_s": str(req.sl_threshold_s), "short_abandon_s": str(req.short_abandon_s),
    }


def _substitute(xml: str, scalars: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        return text(scalars[m.group(1)])
    return re.sub(r"\{\{\s*report\.(\w+)\s*\}\}", one, xml)


_SQREF = re.compile(r'sqref="([^"]*)"')


def _extend_sqref(tail: str, row: int, last: int) -> str:
    def token(t: str) -> str:
        first, _, end = t.partition(":")
        (c1, r1), (c2, r2) = split_ref(first), split_ref(end or first)
        return f"{c1}{row}:{c2}{last}" if r1 == r2 == row else t

    return _SQREF.sub(lambda m: f'sqref="{" ".join(token(t) for t in m.group(1).split())}"',
                      tail)


class _Job:
    """One report being written."""

    def __init__(self, engine: KpiEngine, req: KpiReportRequest, tpl: Template,
                 progress: Progress | None) -> None:
        self.engine, self.req, self.tpl, self.progress = engine, req, tpl, progress
        self.summary = ReportSummary()
        interval_steps = len(chunks(req))
        self.steps = sum(1 if d == "agent" else interval_steps for d in tpl.regions)
        self.step = 0
        self.last_rows: dict[str, int] = {}

    def _tick(self, dataset: str) -> None:
        self.step += 1
        if self.progress is not None:
            rows = sum(self.summary.rows.values())
            self.progress(ReportProgress(self.step, self.steps, rows, dataset))

    def items(self, dataset: str) -> Iterator[Any]:
        if dataset == "agent":
            league = agent_league(self.engine, self.req)
            self._tick(dataset)
            return iter(league)
        return interval_rows(self.engine, self.req, lambda: self._tick(dataset))

    def sheet(self, region: Region, xml: str, out: IO[bytes]) -> None:
        marker = next(m for m in _ROW.finditer(xml)
                      if int(_attrs(m.group(1)).get("r", "0")) == region.row)
        head = re.sub(r"<dimension\b[^>]*/>", "", xml[:marker.start()], count=1)
        end = xml.index("</sheetData>")
        out.write(head.encode("utf-8"))
        extract = DATASETS[region.dataset]
        row_attrs = re.sub(r'\s*\br="\d+"', "", region.row_attrs)
        columns = [(col, extract[name] if name else None, style)
                   for col, name, style in region.columns]
        pending: list[str] = []
        n = 0
        for n, item in enumerate(self.items(region.dataset), start=1):
            r = region.row + n - 1
            if r > MAX_ROWS:
                raise ReportError("report.too_many_rows",
                                  f"{region.dataset}: more rows than an Excel sheet holds; "
                                  "choose a coarser grain or a shorter range")
            cells = "".join(cell(f"{col}{r}", get(item) if get else None, style)
                            for col, get, style in columns)
            pending.append(f'<row r="{r}"{row_attrs}>{cells}</row>')
            # Written a few hundred rows at a time: one deflate call per row costs a third.
            if len(pending) == 500:
                out.write("".join(pending).encode())
                pending.clear()
                self.summary.rows[region.dataset] = n
        out.write("".join(pending).encode())
        self.summary.rows[region.dataset] = n
        last = region.row + max(n, 1) - 1
        self.last_rows[region.dataset] = last
        out.write(_extend_sqref(xml[end:], region.row, last).encode("utf-8"))

    def table(self, xml: str, region: Region) -> str:
        last = self.last_rows[region.dataset]

        def stretch(m: re.Match[str]) -> str:
            first, _, end = m.group(2).partition(":")
            col, _row = split_ref(end or first)
            return f'{m.group(1)}ref="{first}:{col}{last}"'

        return re.sub(r'(<(?:table|autoFilter)\b[^>]*?\b)ref="([^"]+)"', stretch, xml)

    def workbook(self, xml: str) -> str:
        names = []
        for region in self.tpl.regions.values():
            cols = sorted((c for c, _n, _s in region.columns), key=col_index)
            sheet = region.sheet.replace("'", "''")
            ref = (f"'{sheet}'!${cols[0]}${region.row}:${cols[-1]}$"
                   f"{self.last_rows[region.dataset]}")
            name = f"report_{region.dataset}"
            xml = re.sub(rf'<definedName\b[^>]*\bname="{name}"[^>]*>.*?</definedName>', "", xml,
                         flags=re.DOTALL)
            names.append(f'<definedName name="{name}">{text(ref)}</definedName>')
        block = "".join(names)
        if "</definedNames>" in xml:
            xml = xml.replace("</definedNames>", block + "</definedNames>", 1)
        elif re.search(r"<definedNames\s*/>", xml):
            xml = re.sub(r"<definedNames\s*/>", f"<definedNames>{block}</definedNames>", xml,
                         count=1)
        else:
            xml = xml.replace("</sheets>", f"</sheets><definedNames>{block}</definedNames>", 1)
        # Formulas over the data (totals, charts' helpers) are stale in the template.
        if "<calcPr" in xml:
            xml = re.sub(r'\s*fullCalcOnLoad="[^"]*"', "", xml)
            return re.sub(r"<calcPr\b", '<calcPr fullCalcOnLoad="1"', xml, count=1)
        return xml.replace("</definedNames>", '</definedNames><calcPr fullCalcOnLoad="1"/>', 1)


def _drop_calc_chain(name: str, xml: str) -> str:
    # The chain lists formula cells of the template; a stale one makes Excel "repair" the
    # file. Without it Excel rebuilds the chain.
    if name == "[Content_Types].xml":
        return re.sub(r'<Override\b[^>]*PartName="/xl/calcChain\.xml"[^>]*/>', "", xml)
    return re.sub(r'<Relationship\b[^>]*Target="[^"]*calcChain\.xml"[^>]*/>', "", xml)


def _write(job: _Job, z: zipfile.ZipFile, scalars: dict[str, str]) -> None:
    tpl = job.tpl
    by_part = {r.part: r for r in tpl.regions.values()}
    tables = {t: r for r in tpl.regions.values() for t in r.tables}
    deferred: list[str] = []
    for name, raw in tpl.parts.items():
        if name == "xl/calcChain.xml":
            continue
        if name in tables or name == "xl/workbook.xml":
            deferred.append(name)
        elif name in by_part:
            with z.open(name, "w", force_zip64=True) as out:
                job.sheet(by_part[name], _substitute(raw.decode("utf-8"), scalars), out)
        elif name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            z.writestr(name, _drop_calc_chain(name, raw.decode("utf-8")))
        elif name == "xl/sharedStrings.xml" or name.startswith("xl/worksheets/sheet"):
            z.writestr(name, _substitute(raw.decode("utf-8"), scalars))
        else:
            z.writestr(name, raw)
    for name in deferred:
        xml = tpl.parts[name].decode("utf-8")
        z.writestr(name, job.workbook(xml) if name == "xl/workbook.xml"
                   else job.table(xml, tables[name]))


def build_kpi_report(engine: KpiEngine, req: KpiReportRequest, out: Path | IO[bytes], *,
                     template: Path = DEFAULT_TEMPLATE, progress: Progress | None = None,
                     now: datetime | None = None) -> ReportSummary:
    """Write the KPI report of ``req`` from ``template`` to ``out`` (a path, written
    atomically, or a binary stream); :class:`ReportError` with a stable id on bad input."""
    tpl = load_template(template)
    job = _Job(engine, req, tpl, progress)
    scalars = scalar_values(req, now or datetime.now(ZoneInfo(req.tz)))
    if not isinstance(out, Path):
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            _write_or_explain(job, z, scalars)
        return job.summary
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".xlsx", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            _write_or_explain(job, z, scalars)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return job.summary


def _write_or_explain(job: _Job, z: zipfile.ZipFile, scalars: dict[str, str]) -> None:
    try:
        _write(job, z, scalars)
    except BackendUnavailable as exc:
        raise ReportError("report.backend_unavailable", str(exc)) from exc
    except BackendError as exc:
        raise ReportError("report.query_failed", str(exc)) from exc


def iter_datasets() -> Iterable[str]:
    """The dataset names a template may use."""
    return DATASETS.keys()

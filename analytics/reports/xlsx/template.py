"""Reading a template workbook: its sheets, text markers and data regions.

The template is read as the zip of XML parts it is, not through a workbook model, so what
the writer does not touch (styles, logos, charts, extra sheets, print setup) is copied byte
for byte. A data region is the one row of ``{{<dataset>.<field>}}`` markers of a dataset;
nothing with a value may sit below it on its sheet (the rows grow downwards).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from analytics.reports.xlsx.errors import TemplateError
from analytics.reports.xlsx.fields import DATASETS, SCALARS
from analytics.reports.xlsx.sheetxml import split_ref

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
_TABLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
_MARKER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\}\}")
_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.DOTALL)
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_INLINE_T = re.compile(r"<t\b[^>]*>(.*?)</t>", re.DOTALL)
_V = re.compile(r"<v>(.*?)</v>", re.DOTALL)


@dataclass
class Region:
    """Where one dataset's rows go: a sheet, the marker row and its columns."""

    dataset: str
    sheet: str
    part: str
    row: int
    row_attrs: str
    columns: list[tuple[str, str | None, str | None]]
    """(column letters, field or None for a plain cell, style id) in column order."""
    tables: list[str] = field(default_factory=list)
    """Table parts whose range holds the marker row (extended over the data)."""


@dataclass
class Template:
    """A loaded template: its parts, sheets (name -> part) and data regions."""

    path: Path
    parts: dict[str, bytes]
    sheets: dict[str, str]
    regions: dict[str, Region]
    shared_strings: list[str]


def _attrs(raw: str) -> dict[str, str]:
    return dict(_ATTR.findall(raw))


def _unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _cell_text(attrs: dict[str, str], body: str, shared: list[str]) -> str | None:
    kind = attrs.get("t")
    if kind == "s":
        v = _V.search(body)
        return shared[int(v.group(1))] if v and v.group(1).isdigit() and \
            int(v.group(1)) < len(shared) else None
    if kind == "inlineStr":
        return _unescape("".join(_INLINE_T.findall(body)))
    if kind == "str":
        v = _V.search(body)
        return _unescape(v.group(1)) if v else None
    return None


def _read_parts(path: Path) -> dict[str, bytes]:
    if not path.is_file():
        raise TemplateError("report.template.not_found", f"template {path} does not exist")
    try:
        with zipfile.ZipFile(path) as z:
            return {name: z.read(name) for name in z.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise TemplateError("report.template.not_xlsx",
                            f"template {path} is not an .xlsx workbook: {exc}") from exc


def _sheets(parts: dict[str, bytes], path: Path) -> dict[str, str]:
    try:
        book = ET.fromstring(parts["xl/workbook.xml"])
        rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    except (KeyError, ET.ParseError) as exc:
        raise TemplateError("report.template.not_xlsx",
                            f"template {path} has no readable xl/workbook.xml: {exc}") from exc
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", NS)}
    sheets: dict[str, str] = {}
    for sheet in book.findall("m:sheets/m:sheet", NS):
        target = targets.get(sheet.get(f"{{{NS['r']}}}id"), "")
        sheets[sheet.get("name", "")] = _resolve("xl", target)
    return sheets


def _shared_strings(parts: dict[str, bytes]) -> list[str]:
    raw = parts.get("xl/sharedStrings.xml")
    if raw is None:
        return []
    root = ET.fromstring(raw)
    return ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
            for si in root.findall("m:si", NS)]


def _tables_of(parts: dict[str, bytes], part: str) -> list[str]:
    rels_part = posixpath.join(posixpath.dirname(part), "_rels",
                               posixpath.basename(part) + ".rels")
    if rels_part not in parts:
        return []
    rels = ET.fromstring(parts[rels_part])
    return [_resolve(posixpath.dirname(part), r.get("Target", ""))
            for r in rels.findall("p:Relationship", NS) if r.get("Type") == _TABLE_REL]


def _resolve(base: str, target: str) -> str:
    # Targets are relative to the part's folder, or absolute from the package root.
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def _check_scalars(text: str, where: str) -> None:
    for dataset, name in _MARKER.findall(text):
        if dataset == "report" and name not in SCALARS:
            raise TemplateError("report.template.unknown_field",
                                f"{where}: {{{{report.{name}}}}} is not a report field; "
                                f"known: {', '.join(SCALARS)}")


def _scan_sheet(template: Template, sheet: str, part: str) -> None:
    xml = template.parts[part].decode("utf-8")
    if "<sheetData" not in xml:
        raise TemplateError("report.template.unsupported",
                            f"sheet {sheet!r}: no <sheetData> (prefixed XML is not supported)")
    found: dict[str, Region] = {}
    for row_match in _ROW.finditer(xml):
        row_attrs, row_body = _attrs(row_match.group(1)), row_match.group(2) or ""
        row_no = int(row_attrs.get("r", "0"))
        for cell_match in _CELL.finditer(row_body):
            attrs, body = _attrs(cell_match.group(1)), cell_match.group(2) or ""
            value = _cell_text(attrs, body, template.shared_strings)
            if not value:
                continue
            where = f"sheet {sheet!r} cell {attrs.get('r', '?')}"
            _check_scalars(value, where)
            whole = _MARKER.fullmatch(value.strip())
            if whole is None or whole.group(1) == "report":
                if any(d != "report" for d, _ in _MARKER.findall(value)):
                    raise TemplateError("report.template.bad_marker",
                                        f"{where}: a data marker must fill its cell alone")
                continue
            dataset, name = whole.groups()
            if dataset not in DATASETS:
                raise TemplateError("report.template.unknown_field",
                                    f"{where}: unknown dataset {dataset!r}; known: "
                                    f"{', '.join(DATASETS)}, report")
            if name not in DATASETS[dataset]:
                raise TemplateError("report.template.unknown_field",
                                    f"{where}: {dataset} has no field {name!r}; known: "
                                    f"{', '.join(DATASETS[dataset])}")
            seen = found.get(dataset) or template.regions.get(dataset)
            if seen is not None and (seen.part != part or seen.row != row_no):
                raise TemplateError("report.template.markers_split",
                                    f"{where}: {dataset} markers are also in sheet "
                                    f"{seen.sheet!r} row {seen.row}; one row per dataset")
            if seen is None:
                found[dataset] = Region(dataset, sheet, part, row_no, row_match.group(1), [])
        # After the markers: a stray marker below says "markers_split", more precisely.
        has_value = bool(_V.search(row_body)) or "<is>" in row_body or "<f" in row_body
        for region in found.values():
            if row_no > region.row and has_value:
                raise TemplateError(
                    "report.template.content_below_data",
                    f"sheet {sheet!r} row {row_no}: cells with values below the "
                    f"{region.dataset} data row {region.row}; the data grows downwards")
        for region in found.values():
            if region.row == row_no and not region.columns:
                region.columns = _columns(row_body, template.shared_strings, region.dataset)
    if len({r.row for r in found.values()}) < len(found):
        raise TemplateError("report.template.markers_split",
                            f"sheet {sheet!r}: two datasets share one row")
    for region in found.values():
        region.tables = [t for t in _tables_of(template.parts, part)
                         if _table_rows(template.parts[t])[0] < region.row
                         <= _table_rows(template.parts[t])[1]]
        template.regions[region.dataset] = region


def _columns(row_body: str, shared: list[str],
             dataset: str) -> list[tuple[str, str | None, str | None]]:
    cols: list[tuple[str, str | None, str | None]] = []
    for cell_match in _CELL.finditer(row_body):
        attrs, body = _attrs(cell_match.group(1)), cell_match.group(2) or ""
        letters, _ = split_ref(attrs["r"])
        marker = _MARKER.fullmatch((_cell_text(attrs, body, shared) or "").strip())
        name = marker.group(2) if marker and marker.group(1) == dataset else None
        cols.append((letters, name, attrs.get("s")))
    return cols


_TABLE_REF = re.compile(r'<table\b[^>]*?\bref="([^"]+)"')


def _table_rows(xml: bytes) -> tuple[int, int]:
    m = _TABLE_REF.search(xml.decode("utf-8"))
    if not m:
        return (0, 0)
    first, _, last = m.group(1).partition(":")
    return split_ref(first)[1], split_ref(last or first)[1]


def load_template(path: Path) -> Template:
    """Read and check a template; :class:`TemplateError` says what is wrong and where."""
    parts = _read_parts(path)
    template = Template(path, parts, _sheets(parts, path), {}, [])
    try:
        template.shared_strings = _shared_strings(parts)
        for sheet, part in template.sheets.items():
            if part not in parts:
                raise TemplateError("report.template.not_xlsx",
                                    f"sheet {sheet!r} points at a missing part {part}")
            _scan_sheet(template, sheet, part)
    except (ET.ParseError, UnicodeDecodeError, ValueError) as exc:
        raise TemplateError("report.template.not_xlsx",
                            f"template {path} has unreadable XML: {exc}") from exc
    if not template.regions:
        raise TemplateError("report.template.no_data_region",
                            f"template {path} has no row of data markers such as "
                            "{{queue.service_level}}, {{agent.aht_s}} or {{abandon.abandoned}}")
    return template

"""Customer import and export, CSV or Excel, with the same columns both ways.

Import: the file is the request body (``text/csv`` or the xlsx media type, or
``?format=``); every good row is imported in one transaction and the answer lists every
bad row (row number, column, reason). Export: streamed page by page; analysts get names,
e-mails and numbers masked.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import structlog
from aiohttp import web
from pydantic import BaseModel

from control_plane.api.config_crud import TenantQuery, acting_tenant
from control_plane.api.config_db import CONFIG_DB, ConfigDb
from control_plane.api.errors import BodyTooLarge, InvalidBody, UnsupportedMediaType
from control_plane.api.routes import RouteTable, principal, query, reply
from control_plane.crm.exporter import XlsxFile, cells, csv_chunk
from control_plane.crm.importer import import_customers
from control_plane.crm.table import FileFormat, UnreadableFile, read_file
from control_plane.db.repos.api_crm import customers_after

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = structlog.get_logger(__name__)
ROUTES = RouteTable()
MAX_FILE_BYTES = 20 * 1024 * 1024
EXPORT_PAGE = 500
_CHUNK = 64 * 1024


class TransferQuery(TenantQuery):
    """The file's format (import: else taken from the Content-Type)."""

    format: FileFormat | None = None


class RowProblem(BaseModel):
    """One problem of one row of the file."""

    row: int
    column: str
    reason: str


class ImportResult(BaseModel):
    """What the import did; ``errors`` lists every bad row (none of them was imported)."""

    rows: int
    created: int
    updated: int
    rejected_rows: int
    errors: list[RowProblem]


def _format(request: web.Request, named: FileFormat | None) -> FileFormat:
    if named is not None:
        return named
    for fmt in FileFormat:
        if request.content_type == fmt.media_type:
            return fmt
    raise UnsupportedMediaType(
        f"send the file as {FileFormat.CSV.media_type} or {FileFormat.XLSX.media_type} "
        f"(or name it with ?format=csv|xlsx), not {request.content_type or 'nothing'}")


async def _file(request: web.Request) -> bytes:
    # Streamed rather than request.read(): the server's body cap is for JSON, not files.
    data = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > MAX_FILE_BYTES:
            raise BodyTooLarge(f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MiB: "
                               "split it")
    if not data:
        raise _bad_file("the file is empty", None)
    return bytes(data)


def _bad_file(reason: str, column: str | None) -> InvalidBody:
    field = f"file.{column}" if column else "file"
    return InvalidBody(f"invalid request body: {field}: {reason}", details={
        "field": field, "errors": [{"field": field, "message": reason,
                                    "type": "unreadable_file"}]})


@ROUTES.post("/api/v1/customers/import", permission="customers.import",
             summary="Import customers (CSV or Excel)", tags=("customers",),
             query=TransferQuery, response=ImportResult,
             errors=(UnsupportedMediaType, BodyTooLarge, InvalidBody))
async def import_customer_file(request: web.Request) -> web.Response:
    """Import the customers of the file in the body (columns: external_id, name, email,
    phones, vip, blocked); a customer is found again by external_id, else by phone."""
    q = query(request, TransferQuery)
    tenant = acting_tenant(principal(request), q.tenant)
    fmt = _format(request, q.format)
    data = await _file(request)
    try:
        report = await request.app[CONFIG_DB].run(
            lambda s: import_customers(s, tenant, read_file(data, fmt)))
    except UnreadableFile as exc:
        raise _bad_file(exc.reason, exc.column) from exc
    log.info("customers imported", tenant=tenant, rows=report.rows, created=report.created,
             updated=report.updated, rejected=report.rejected_rows)
    return reply(ImportResult(
        rows=report.rows, created=report.created, updated=report.updated,
        rejected_rows=report.rejected_rows,
        errors=[RowProblem(row=e.row, column=e.column, reason=e.reason)
                for e in report.errors]))


def _page(tenant: str, after: int, mask: bool) -> Callable[[Session], tuple[int, list[list[str]]]]:
    def work(s: Session) -> tuple[int, list[list[str]]]:
        rows = customers_after(s, tenant, after_id=after, limit=EXPORT_PAGE)
        return (rows[-1].id if rows else after), [cells(c, mask=mask) for c in rows]
    return work


def _write_xlsx(db: ConfigDb, tenant: str, mask: bool, path: Path) -> BinaryIO:
    """Write the workbook (in a worker thread); the file, open for reading."""
    book, after = XlsxFile(path), 0
    while True:
        after, rows = db.run_sync(_page(tenant, after, mask))
        if not rows:
            break
        book.append(rows)
    book.close()
    return path.open("rb")


@ROUTES.get("/api/v1/customers/export", permission="customers.export",
            summary="Export customers (CSV or Excel)", tags=("customers",),
            query=TransferQuery, media_type="text/csv")
async def export_customer_file(request: web.Request) -> web.StreamResponse:
    """Every customer of the tenant with the import's columns (analysts: masked)."""
    who, q = principal(request), query(request, TransferQuery)
    tenant, fmt = acting_tenant(who, q.tenant), q.format or FileFormat.CSV
    db = request.app[CONFIG_DB]
    headers = {"Content-Type": fmt.media_type, "Content-Disposition":
               f'attachment; filename="customers-{tenant}.{fmt.value}"'}
    if fmt is FileFormat.XLSX:
        return await _stream_xlsx(request, db, tenant, who.no_pii, headers)
    # The first page is read before the answer starts, so a database outage is still a 503.
    after, rows = await db.run(_page(tenant, 0, who.no_pii))
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    await response.write(csv_chunk(rows, header=True))
    while rows:
        after, rows = await db.run(_page(tenant, after, who.no_pii))
        await response.write(csv_chunk(rows))
    await response.write_eof()
    return response


async def _stream_xlsx(request: web.Request, db: ConfigDb, tenant: str, mask: bool,
                       headers: dict[str, str]) -> web.StreamResponse:
    fd, name = tempfile.mkstemp(prefix="customers-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        f = await asyncio.to_thread(_write_xlsx, db, tenant, mask, path)
        try:
            response = web.StreamResponse(headers=headers)
            response.content_length = os.fstat(f.fileno()).st_size
            await response.prepare(request)
            while chunk := await asyncio.to_thread(f.read, _CHUNK):
                await response.write(chunk)
            await response.write_eof()
            return response
        finally:
            f.close()
    finally:
        os.unlink(path)

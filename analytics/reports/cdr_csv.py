"""CDR export as CSV, streamed page by page so a year of calls never sits in memory.

Pages are cut by keyset (started_at, event_id) rather than OFFSET, so each page costs the
same however deep the export is. Times are written in the tenant's zone with its offset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from analytics.kpis.service import KpiEngine
from analytics.schema.ddl import check_identifier, quote
from analytics.schema.model import Kind
from analytics.schema.tables import CDR

COLUMNS = tuple(c.name for c in CDR.columns)
_TIMES = {c.name for c in CDR.columns if c.kind is Kind.DATETIME}


@dataclass(frozen=True)
class CdrFilter:
    """Which CDRs to export: one tenant, a time range (aware, end exclusive), options."""

    tenant: str
    start: datetime
    end: datetime
    tz: str = "Asia/Shanghai"
    queue: str | None = None
    min_sip_code: int | None = None
    """e.g. 400 for failed calls only."""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must carry a time zone")
        ZoneInfo(self.tz)

    def where(self) -> str:
        """The SQL filter of this export."""
        parts = [f"tenant = {quote(self.tenant)}",
                 f"started_at >= toDateTime({int(self.start.timestamp())})",
                 f"started_at < toDateTime({int(self.end.timestamp())})"]
        if self.queue is not None:
            parts.append(f"queue = {quote(self.queue)}")
        if self.min_sip_code is not None:
            parts.append(f"sip_code >= {int(self.min_sip_code)}")
        return " AND ".join(parts)


Progress = Callable[[int, int], None]
"""Called after each page with (rows written so far, rows in the export)."""


def _page_sql(db: str, f: CdrFilter, after: tuple[int, str] | None, size: int) -> str:
    cols = ", ".join(f"toUnixTimestamp({c})" if c in _TIMES else c for c in COLUMNS)
    keyset = ""
    if after is not None:
        at, event_id = after
        keyset = (f" AND (started_at > toDateTime({at}) OR (started_at = toDateTime({at})"
                  f" AND event_id > {quote(event_id)}))")
    return (f"SELECT {cols} FROM {db}.cdr FINAL WHERE {f.where()}{keyset}"
            f" ORDER BY started_at, event_id LIMIT {int(size)}")


def export_cdr_csv(engine: KpiEngine, f: CdrFilter, page_rows: int = 50_000,
                   progress: Progress | None = None) -> Iterator[str]:
    """Yield the CSV text (header first) of the matching CDRs, one chunk per page."""
    db = check_identifier(engine.database)
    total = int(str(engine.query(f"SELECT count() FROM {db}.cdr FINAL WHERE {f.where()}")[0][0]))
    zone = ZoneInfo(f.tz)
    time_idx = {i for i, c in enumerate(COLUMNS) if c in _TIMES}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield buf.getvalue()
    done, after = 0, None
    while True:
        rows = engine.query(_page_sql(db, f, after, page_rows))
        if not rows:
            break
        buf.seek(0)
        buf.truncate()
        for row in rows:
            writer.writerow(
                _local(int(str(v)), zone) if i in time_idx else v for i, v in enumerate(row))
        done += len(rows)
        last = rows[-1]
        after = (int(str(last[COLUMNS.index("started_at")])), str(last[0]))
        if progress is not None:
            progress(done, total)
        yield buf.getvalue()
        if len(rows) < page_rows:
            break


def _local(epoch: int, zone: ZoneInfo) -> str:
    # answered_at = 0 means "never answered": keep it empty rather than 1970.
    return "" if epoch == 0 else datetime.fromtimestamp(epoch, zone).isoformat()

"""``python -m analytics.reports xlsx --tenant acme --from 2026-03-01 --to 2026-04-01 ...``.

Reads KPIs from chDB (``--chdb PATH``, a path no other process holds) or a ClickHouse server
(``--clickhouse HOST:PORT``) and writes the Excel report; progress goes to stderr. Errors
print ``error[<id>]: <message>`` and exit 2 (ids: ``report.bad_request``,
``report.template.*``, ``report.backend_unavailable``, ``report.too_many_rows``).
``python -m analytics.reports template --out FILE`` writes the default template.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.kpis import DEFAULT_TZ, Grain
from analytics.kpis.service import KpiEngine
from analytics.reports.xlsx import (
    DEFAULT_TEMPLATE,
    KpiReportRequest,
    ReportError,
    ReportProgress,
    build_kpi_report,
    load_template,
)
from analytics.reports.xlsx.default_template import make_default_template


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics.reports")
    sub = parser.add_subparsers(dest="command", required=True)
    x = sub.add_parser("xlsx", help="KPI report in Excel from a template")
    src = x.add_mutually_exclusive_group(required=True)
    src.add_argument("--chdb", type=Path, help="chDB data path (this process must own it)")
    src.add_argument("--clickhouse", metavar="HOST:PORT", help="ClickHouse server (native)")
    x.add_argument("--database", default="callcenter")
    x.add_argument("--tenant", required=True)
    x.add_argument("--from", dest="start", required=True,
                   help="first day or instant, tenant's wall time (2026-03-01[T08:00])")
    x.add_argument("--to", dest="end", required=True, help="end (exclusive), same form")
    x.add_argument("--tz", default=DEFAULT_TZ, help="tenant time zone")
    x.add_argument("--grain", default=Grain.MIN15.value, choices=[g.value for g in Grain])
    x.add_argument("--queue", action="append", default=[], help="repeatable; default all")
    x.add_argument("--sl-threshold", type=int, default=20, help="service level threshold, s")
    x.add_argument("--short-abandon", type=int, default=0, help="short abandon limit, s")
    x.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    x.add_argument("--out", type=Path, required=True)
    x.add_argument("--quiet", action="store_true", help="no progress on stderr")
    t = sub.add_parser("template", help="write the default template (to restyle)")
    t.add_argument("--out", type=Path, default=DEFAULT_TEMPLATE)
    return parser


def _instant(text: str, tz: str) -> datetime:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportError("report.bad_request", f"unknown time zone {tz!r}") from exc
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ReportError("report.bad_request",
                          f"{text!r} is not a date (2026-03-01 or 2026-03-01T08:00)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _engine(args: argparse.Namespace) -> KpiEngine:
    try:
        if args.chdb is not None:
            from analytics.sink.backends.chdb_backend import ChdbBackend

            return ChdbBackend(args.chdb, database=args.database)
        from analytics.sink.backends.clickhouse_backend import ClickHouseBackend

        host, _, port = str(args.clickhouse).rpartition(":")
        return ClickHouseBackend(host or "127.0.0.1", int(port), database=args.database)
    except Exception as exc:
        raise ReportError("report.backend_unavailable",
                          f"cannot open the analytics engine: {exc}") from exc


def _progress(p: ReportProgress) -> None:
    print(f"\rreport: {p.step}/{p.steps} queries, {p.rows} rows ({p.dataset})   ",
          end="" if p.step < p.steps else "\n", file=sys.stderr, flush=True)


def _xlsx(args: argparse.Namespace) -> int:
    req = KpiReportRequest(
        args.tenant, _instant(args.start, args.tz), _instant(args.end, args.tz),
        Grain(args.grain), tz=args.tz, queues=tuple(args.queue),
        sl_threshold_s=args.sl_threshold, short_abandon_s=args.short_abandon)
    load_template(args.template)  # a bad template fails before any engine is opened
    engine = _engine(args)
    summary = build_kpi_report(engine, req, args.out, template=args.template,
                               progress=None if args.quiet else _progress)
    counts = ", ".join(f"{k} {v}" for k, v in summary.rows.items())
    print(f"wrote {args.out} ({counts} rows)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "template":
            make_default_template(args.out)
            return 0
        return _xlsx(args)
    except ReportError as exc:
        print(f"error[{exc.error_id}]: {exc.args[0]}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error[report.output_unwritable]: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

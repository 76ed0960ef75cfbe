"""The report's question and its rows, read from the KPI queries a time chunk at a time.

Interval sheets (queue KPIs, abandonment) are read month by month (four weeks for weekly
buckets), so a year of 15-minute rows never sits in memory and progress can be reported;
chunks start on bucket boundaries in the tenant's zone, so no bucket is split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from analytics.kpis import (
    DEFAULT_TZ,
    AgentTime,
    Dimension,
    Grain,
    KpiQuery,
    QueueKpis,
    agent_time,
    queue_kpis,
)
from analytics.kpis.service import KpiEngine
from analytics.reports.xlsx.errors import ReportError
from analytics.reports.xlsx.fields import AgentLeagueRow


@dataclass(frozen=True)
class KpiReportRequest:
    """Which figures a report holds: one tenant, a range (aware, end exclusive, on 15-min
    boundaries), the bucket size, optional queues, and the service-level thresholds."""

    tenant: str
    start: datetime
    end: datetime
    grain: Grain = Grain.MIN15
    tz: str = DEFAULT_TZ
    queues: tuple[str, ...] = ()
    sl_threshold_s: int = 20
    short_abandon_s: int = 0

    def __post_init__(self) -> None:
        if not self.tenant:
            raise ReportError("report.bad_request", "a tenant is required")
        try:
            self.kpi_query()
        except ValueError as exc:
            raise ReportError("report.bad_request", str(exc)) from exc

    def kpi_query(self, *, by: tuple[Dimension, ...] = (Dimension.QUEUE,),
                  start: datetime | None = None, end: datetime | None = None,
                  grain: Grain | None = None) -> KpiQuery:
        """The KPI question of this report (or of one chunk of it)."""
        return KpiQuery(self.tenant, start or self.start, end or self.end,
                        grain or self.grain, tz=self.tz, by=by, queues=self.queues,
                        sl_threshold_s=self.sl_threshold_s,
                        short_abandon_s=self.short_abandon_s)


def chunks(req: KpiReportRequest) -> list[tuple[datetime, datetime]]:
    """The report range cut at local month starts; every 7th local midnight for 15-minute
    buckets (a month of them for many queues is a lot of rows), every 4th Monday for weeks."""
    zone = ZoneInfo(req.tz)
    start, end = req.start.astimezone(zone), req.end.astimezone(zone)
    cuts: list[datetime] = []
    if req.grain in (Grain.WEEK, Grain.MIN15):
        day = datetime(start.year, start.month, start.day, tzinfo=zone)
        if req.grain is Grain.WEEK:
            day += timedelta(days=(7 - day.weekday()) % 7 or 7)
            step = 28
        else:
            day, step = _local_days_later(day, 7, zone), 7
        while day < end:
            cuts.append(day)
            day = _local_days_later(day, step, zone)
    else:
        month = datetime(start.year, start.month, 1, tzinfo=zone)
        while True:
            month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1,
                             tzinfo=zone)
            if month >= end:
                break
            cuts.append(month)
    edges = [start, *cuts, end]
    return list(pairwise(edges))


def _local_days_later(day: datetime, days: int, zone: ZoneInfo) -> datetime:
    # Wall-clock arithmetic: local midnight stays local midnight across DST changes.
    later = day.replace(tzinfo=None) + timedelta(days=days)
    return later.replace(tzinfo=zone)


def interval_rows(engine: KpiEngine, req: KpiReportRequest,
                  on_chunk: Callable[[], None] | None = None) -> Iterator[QueueKpis]:
    """Queue KPIs per bucket and queue, chunk by chunk in time order."""
    for lo, hi in chunks(req):
        yield from queue_kpis(engine, req.kpi_query(start=lo, end=hi))
        if on_chunk is not None:
            on_chunk()


def _summed(rows: list[QueueKpis]) -> QueueKpis:
    first = rows[0]
    sums = {f: sum(getattr(r, f) for r in rows) for f in (
        "offered", "answered", "abandoned", "answered_within", "short_abandoned",
        "answered_wait_ms", "talk_ms", "hold_ms", "wrap_ms", "transferred")}
    return replace(first, longest_wait_ms=max(r.longest_wait_ms for r in rows), **sums)


def agent_league(engine: KpiEngine, req: KpiReportRequest) -> list[AgentLeagueRow]:
    """Every agent who answered calls in the range, most calls first (then shortest AHT).

    Monthly buckets are summed per agent: sums stay sums, longest wait the max.
    """
    calls: dict[str, list[QueueKpis]] = {}
    by_agent = (Dimension.AGENT,)
    for row in queue_kpis(engine, req.kpi_query(by=by_agent, grain=Grain.MONTH)):
        if row.group.get("agent"):
            calls.setdefault(row.group["agent"], []).append(row)
    times: dict[str, dict[str, int]] = {}
    time_query = replace(req.kpi_query(by=by_agent, grain=Grain.MONTH), queues=())
    for t in agent_time(engine, time_query):
        seconds = times.setdefault(t.group.get("agent", ""), {})
        for state, s in t.seconds.items():
            seconds[state] = seconds.get(state, 0) + s
    totals = {agent: _summed(rows) for agent, rows in calls.items()}
    order = sorted(totals, key=lambda a: (-totals[a].answered, totals[a].aht_s or 0.0, a))
    return [
        AgentLeagueRow(rank=i + 1, calls=totals[a],
                       time=AgentTime(totals[a].bucket, {"agent": a}, times[a])
                       if a in times else None)
        for i, a in enumerate(order)
    ]

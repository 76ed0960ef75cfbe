"""Run KPI questions on an engine and return typed rows with tenant-zone buckets."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from analytics.kpis.query import KpiQuery
from analytics.kpis.results import AgentTime, FirstContactResolution, QueueKpis
from analytics.kpis.sql import (
    QUEUE_MEASURES,
    agent_time_sql,
    first_contact_resolution_sql,
    queue_kpis_sql,
)


class KpiEngine(Protocol):
    """What KPI queries need from a backend (both AnalyticsBackends qualify)."""

    database: str

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a SELECT and return its rows."""


def _int(value: object) -> int:
    return int(str(value))


def _split(q: KpiQuery, row: tuple[object, ...]) -> tuple[datetime, dict[str, str], int]:
    dims = q.group_columns()
    bucket = datetime.fromtimestamp(_int(row[0]), ZoneInfo(q.tz))
    group = {d: str(row[1 + i]) for i, d in enumerate(dims)}
    return bucket, group, 1 + len(dims)


def queue_kpis(engine: KpiEngine, q: KpiQuery) -> list[QueueKpis]:
    """SL, ASA, AHT, abandonment, transfer rate and longest wait per bucket and group."""
    out: list[QueueKpis] = []
    for row in engine.query(queue_kpis_sql(engine.database, q)):
        bucket, group, first = _split(q, row)
        measures = {name: _int(v) for name, v in zip(QUEUE_MEASURES, row[first:], strict=True)}
        out.append(QueueKpis(bucket=bucket, group=group, sl_threshold_s=q.sl_threshold_s,
                             short_abandon_s=q.short_abandon_s, **measures))
    return out


def agent_time(engine: KpiEngine, q: KpiQuery) -> list[AgentTime]:
    """Occupancy and utilization from agent state time per bucket and group."""
    seconds: dict[tuple[datetime, tuple[tuple[str, str], ...]], dict[str, int]] = \
        defaultdict(dict)
    for row in engine.query(agent_time_sql(engine.database, q)):
        bucket, group, first = _split(q, row)
        seconds[(bucket, tuple(group.items()))][str(row[first])] = _int(row[first + 1])
    return [AgentTime(bucket=b, group=dict(g), seconds=s) for (b, g), s in seconds.items()]


def first_contact_resolution(engine: KpiEngine, q: KpiQuery,
                             repeat_window_days: int = 7) -> list[FirstContactResolution]:
    """Share of handled contacts with no repeat from the same caller within N days.

    A bucket's figure is final only once N days have passed after it.
    """
    out: list[FirstContactResolution] = []
    sql = first_contact_resolution_sql(engine.database, q, repeat_window_days)
    for row in engine.query(sql):
        bucket, group, first = _split(q, row)
        out.append(FirstContactResolution(
            bucket=bucket, group=group, repeat_window_days=repeat_window_days,
            handled=_int(row[first]), resolved=_int(row[first + 1])))
    return out

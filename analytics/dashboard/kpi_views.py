"""KPI trends and the agent league table, straight from the KPI module (one definition of
service level, ASA, AHT and abandonment for the API, the reports and this page)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from analytics.dashboard.params import KpiFilters
from analytics.kpis import AgentTime, Dimension, Grain, QueueKpis, agent_time, queue_kpis
from analytics.kpis.service import KpiEngine
from analytics.kpis.sql import QUEUE_MEASURES

Json = dict[str, Any]


def kpi_json(row: QueueKpis) -> Json:
    """The measures and the industry ratios of one KPI row (None: no denominator)."""
    return {
        "offered": row.offered, "answered": row.answered, "abandoned": row.abandoned,
        "answered_within": row.answered_within, "short_abandoned": row.short_abandoned,
        "service_level": row.service_level, "asa_s": row.asa_s, "aht_s": row.aht_s,
        "abandonment_rate": row.abandonment_rate, "transfer_rate": row.transfer_rate,
        "longest_wait_s": row.longest_wait_s,
    }


def total(rows: Iterable[QueueKpis], *, bucket: datetime, sl_threshold_s: int,
          short_abandon_s: int, group: dict[str, str] | None = None) -> QueueKpis:
    """Several KPI rows added up (every measure is a sum, the longest wait a max)."""
    sums = dict.fromkeys(QUEUE_MEASURES, 0)
    for row in rows:
        for name in QUEUE_MEASURES:
            value = getattr(row, name)
            sums[name] = max(sums[name], value) if name == "longest_wait_ms" \
                else sums[name] + value
    return QueueKpis(bucket=bucket, group=group or {}, sl_threshold_s=sl_threshold_s,
                     short_abandon_s=short_abandon_s, **sums)


def trends(engine: KpiEngine, f: KpiFilters, *, by_queue: bool) -> Json:
    """KPI series per bucket (one series, or one per queue) and the range's totals."""
    rows = queue_kpis(engine, f.kpi_query(by=(Dimension.QUEUE,) if by_queue else ()))
    series: dict[str | None, list[Json]] = defaultdict(list)
    for row in rows:
        series[row.group.get("queue")].append({"bucket": row.bucket.isoformat(),
                                               **kpi_json(row)})
    totals = total(rows, bucket=f.scope.start, sl_threshold_s=f.sl_threshold_s,
                   short_abandon_s=f.short_abandon_s)
    return {
        **head(f),
        "series": [{"queue": q, "points": pts} for q, pts in series.items()],
        "totals": kpi_json(totals),
    }


def league(engine: KpiEngine, f: KpiFilters, *, limit: int) -> Json:
    """Agents ranked by calls answered, with handle time, speed of answer and occupancy.

    Call figures follow the queue filter; state time (occupancy, utilization) is the
    agent's whole logged-in time, as agents are not in a queue while available.
    """
    calls: dict[str, list[QueueKpis]] = defaultdict(list)
    for row in queue_kpis(engine, f.kpi_query(Grain.MONTH, by=(Dimension.AGENT,))):
        if row.group["agent"]:  # '' holds the calls nobody answered
            calls[row.group["agent"]].append(row)
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    state_q = f.scope.kpi_query(Grain.MONTH, by=(Dimension.AGENT,), all_queues=True)
    for t in agent_time(engine, state_q):
        for state, seconds in t.seconds.items():
            states[t.group["agent"]][state] += seconds
    rows: list[Json] = []
    for agent, agent_rows in calls.items():
        k = total(agent_rows, bucket=f.scope.start, sl_threshold_s=f.sl_threshold_s,
                  short_abandon_s=f.short_abandon_s, group={"agent": agent})
        time = AgentTime(bucket=f.scope.start, group={"agent": agent},
                         seconds=dict(states.get(agent, {})))
        rows.append({
            "agent": agent, "answered": k.answered, "aht_s": k.aht_s, "asa_s": k.asa_s,
            "answered_within": k.answered_within, "transferred": k.transferred,
            "transfer_rate": k.transfer_rate,
            "handle_s": (k.talk_ms + k.hold_ms + k.wrap_ms) / 1000,
            "logged_in_s": time.logged_in_s, "occupancy": time.occupancy,
            "utilization": time.utilization,
        })
    rows.sort(key=lambda r: (-r["answered"], r["agent"]))
    return {**head(f), "agents": rows[:limit], "total_agents": len(rows)}


def head(f: KpiFilters) -> Json:
    """What was asked, echoed at the top of every answer."""
    s = f.scope
    return {"tenant": s.tenant, "tz": s.tz, "start": s.start.isoformat(),
            "end": s.end.isoformat(), "queues": list(s.queues), "grain": f.grain.value,
            "sl_threshold_s": f.sl_threshold_s, "short_abandon_s": f.short_abandon_s}

"""Dashboard questions the KPI module does not ask, read from the per-queue 15-minute rollup.

The heatmap and the abandonment curve regroup ``queue_15m`` rows (a few hundred per queue
and day, whatever the call volume), so they stay fast on 100M calls. Ratios are computed by
the KPI module's row type, so a heatmap cell's service level means what a trend point's does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from analytics.dashboard.kpi_views import head, kpi_json
from analytics.dashboard.params import KpiFilters
from analytics.kpis import KpiQuery, QueueKpis
from analytics.kpis.service import KpiEngine
from analytics.kpis.sql import QUEUE_MEASURES
from analytics.schema.ddl import check_identifier, quote
from analytics.schema.rollups import ANSWERED_WITHIN_S, QUEUE_15M, SHORT_ABANDON_S

Json = dict[str, Any]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _measures(q: KpiQuery) -> str:
    """The KPI row's measures as rollup merges, in ``QUEUE_MEASURES`` order."""
    short = f"sumMerge(abandoned_{q.short_abandon_s}s)" if q.short_abandon_s else "0"
    exprs = [
        "sumMerge(offered)", "sumMerge(answered)", "sumMerge(abandoned)",
        f"sumMerge(answered_{q.sl_threshold_s}s)", f"toUInt64({short})",
        "sumMerge(answered_wait_ms)", "sumMerge(talk_ms_sum)", "sumMerge(hold_ms_sum)",
        "sumMerge(wrap_ms_sum)", "sumMerge(transferred_sum)", "maxMerge(longest_wait_ms)",
    ]
    # m_ prefixes keep the aliases apart from the rollup's own column names.
    return ", ".join(f"{e} AS m_{n}" for e, n in zip(exprs, QUEUE_MEASURES, strict=True))


def _row(q: KpiQuery, values: tuple[object, ...], bucket: datetime) -> QueueKpis:
    measures = {n: int(str(v)) for n, v in zip(QUEUE_MEASURES, values, strict=True)}
    return QueueKpis(bucket=bucket, group={}, sl_threshold_s=q.sl_threshold_s,
                     short_abandon_s=q.short_abandon_s, **measures)


def heatmap(engine: KpiEngine, f: KpiFilters) -> Json:
    """Service level (and volume) by local weekday × hour of day over the range."""
    q = f.kpi_query()
    db, tz = check_identifier(engine.database), quote(f.scope.tz)
    # toTimeZone: toDayOfWeek's second argument is the zone on 18.16, a week mode on 26.
    local = f"toTimeZone(interval_start, {tz})"
    sql = (f"SELECT toDayOfWeek({local}) AS weekday, toHour({local}) AS hour, {_measures(q)}"
           f" FROM {db}.{QUEUE_15M.name} WHERE {q.where('interval_start')}"
           " GROUP BY weekday, hour ORDER BY weekday, hour")
    cells = []
    for row in engine.query(sql):
        k = _row(q, row[2:], f.scope.start)
        cells.append({"weekday": int(str(row[0])), "hour": int(str(row[1])), **kpi_json(k)})
    return {**head(f), "weekdays": list(WEEKDAYS), "cells": cells}


_SPEC = (("offered", "offered"), ("ab_all", "abandoned"), ("an_all", "answered"),
         ("wait_ms", "answered_wait_ms"),
         *((f"ab_{t}", f"abandoned_{t}s") for t in SHORT_ABANDON_S),
         *((f"an_{t}", f"answered_{t}s") for t in ANSWERED_WITHIN_S))
"""(name in the curve query, rollup column) of every measure the curve reads."""


def abandonment_curve(engine: KpiEngine, f: KpiFilters, *, bin_s: int) -> Json:
    """How abandonment grows with waiting, two ways, from one read of the rollup.

    ``bins``: every (queue, 15-minute interval) of the range is placed by its average
    speed of answer into ``bin_s``-wide bins; per bin, the share of offered calls that
    were abandoned. ``thresholds``: share of offered calls abandoned (and answered) within
    the waits the rollup keeps — the callers' patience seen from the queue.
    """
    q = f.kpi_query()
    db = check_identifier(engine.database)
    per_interval = (
        "SELECT queue, interval_start, "
        + ", ".join(f"sumMerge({col}) AS n_{name}" for name, col in _SPEC)
        + f" FROM {db}.{QUEUE_15M.name} WHERE {q.where('interval_start')}"
        " GROUP BY queue, interval_start")
    # Intervals where nobody was answered have no speed of answer: bin -1.
    # greatest(): 18.16 evaluates both branches of if(), and intDiv by zero throws there.
    sql = ("SELECT if(n_an_all = 0, -1,"
           " toInt64(intDiv(intDiv(n_wait_ms, greatest(n_an_all, 1)),"
           f" {bin_s * 1000}))) AS bin, count() AS intervals, "
           + ", ".join(f"sum(n_{name}) AS s_{name}" for name, _ in _SPEC)
           + f" FROM ({per_interval}) GROUP BY bin ORDER BY bin")
    bins, unanswered = [], None
    totals = dict.fromkeys((name for name, _ in _SPEC), 0)
    for b, intervals, *sums in engine.query(sql):
        v = {name: int(str(x)) for (name, _), x in zip(_SPEC, sums, strict=True)}
        for name, x in v.items():
            totals[name] += x
        entry = {"intervals": int(str(intervals)), "offered": v["offered"],
                 "abandoned": v["ab_all"], "abandonment_rate": _share(v["ab_all"], v["offered"])}
        if int(str(b)) < 0:
            unanswered = entry
            continue
        bins.append({"asa_from_s": int(str(b)) * bin_s, "asa_to_s": (int(str(b)) + 1) * bin_s,
                     "asa_s": v["wait_ms"] / 1000 / v["an_all"], **entry})
    return {**head(f), "bin_s": bin_s, "bins": bins, "no_answer_intervals": unanswered,
            "thresholds": _thresholds(totals)}


def _thresholds(v: dict[str, int]) -> list[Json]:
    offered = v["offered"]
    out: list[Json] = [
        {"wait_s": t,
         "abandoned_within": _share(v[f"ab_{t}"], offered) if f"ab_{t}" in v else None,
         "answered_within": _share(v[f"an_{t}"], offered) if f"an_{t}" in v else None}
        for t in sorted({*SHORT_ABANDON_S, *ANSWERED_WITHIN_S})]
    out.append({"wait_s": None, "abandoned_within": _share(v["ab_all"], offered),
                "answered_within": _share(v["an_all"], offered)})
    return out


def _share(num: object, den: object) -> float | None:
    n, d = int(str(num)), int(str(den))
    return n / d if d > 0 else None


def tenants(engine: KpiEngine) -> list[str]:
    """Tenants with queue data (the operator's choice list)."""
    db = check_identifier(engine.database)
    rows = engine.query(f"SELECT DISTINCT toString(tenant) AS t FROM {db}.{QUEUE_15M.name}"
                        " ORDER BY t LIMIT 1000")
    return [str(r[0]) for r in rows]


def queues_and_span(engine: KpiEngine, tenant: str, tz: str) -> Json:
    """A tenant's queues and the first and last 15-minute interval holding its calls."""
    db, t = check_identifier(engine.database), quote(tenant)
    queues = engine.query(f"SELECT DISTINCT toString(queue) AS q FROM {db}.{QUEUE_15M.name}"
                          f" WHERE tenant = {t} ORDER BY q LIMIT 1000")
    span = engine.query(f"SELECT count() AS n, toUnixTimestamp(min(interval_start)) AS lo,"
                        f" toUnixTimestamp(max(interval_start)) AS hi"
                        f" FROM {db}.{QUEUE_15M.name} WHERE tenant = {t}")
    zone = ZoneInfo(tz)
    n, lo, hi = (int(str(v)) for v in span[0]) if span else (0, 0, 0)
    return {"tenant": tenant, "tz": tz, "queues": [str(r[0]) for r in queues],
            "first_interval": datetime.fromtimestamp(lo, zone).isoformat() if n else None,
            "last_interval": datetime.fromtimestamp(hi, zone).isoformat() if n else None}


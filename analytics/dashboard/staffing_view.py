"""Staffing view: forecast calls and AHT per 15 minutes from the rollup's history, and the
agents they need by Erlang C (patient callers) and Erlang A (callers who hang up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from analytics.dashboard.errors import STAFFING_UNSOLVABLE, DashboardError
from analytics.dashboard.params import Scope
from analytics.forecast import (
    StaffingTarget,
    forecast,
    history_from_kpis,
    staffing_plan,
)
from analytics.forecast.volume import SLOT_S
from analytics.kpis import Grain, queue_kpis
from analytics.kpis.service import KpiEngine

Json = dict[str, Any]


@dataclass(frozen=True)
class StaffingAsk:
    """What the staffing view is asked: whose calls, which days, which targets."""

    tenant: str
    day: datetime
    """Local midnight of the first forecast day."""
    days: int
    tz: str
    queues: tuple[str, ...]
    weeks: int
    target: StaffingTarget
    patience_s: float


def staffing(engine: KpiEngine, ask: StaffingAsk) -> Json:
    """Per interval: forecast calls and AHT, agents needed and scheduled (C and A)."""
    history_start = ask.day - timedelta(days=7 * ask.weeks)
    scope = Scope(ask.tenant, history_start, ask.day, ask.tz, ask.queues)
    history = history_from_kpis(queue_kpis(engine, scope.kpi_query(Grain.MIN15)))
    predicted = forecast(history, ask.day, ask.days, ask.tz, weeks=ask.weeks)
    points = [(p.start, p.calls, p.aht_s) for p in predicted]
    with_patience = StaffingTarget(
        service_level=ask.target.service_level, target_s=ask.target.target_s,
        shrinkage=ask.target.shrinkage, max_occupancy=ask.target.max_occupancy,
        patience_s=ask.patience_s)
    try:
        plan_c = staffing_plan(points, SLOT_S, ask.target)
        plan_a = staffing_plan(points, SLOT_S, with_patience)
    except ValueError as exc:
        raise DashboardError(STAFFING_UNSOLVABLE, str(exc)) from None
    zone = ZoneInfo(ask.tz)
    intervals = [{
        "start": c.start.astimezone(zone).isoformat(), "calls": c.calls, "aht_s": c.aht_s,
        "erlang_c": {"agents": c.agents, "scheduled": c.scheduled,
                     "service_level": c.service_level, "asa_s": c.asa_s,
                     "occupancy": c.occupancy},
        "erlang_a": {"agents": a.agents, "scheduled": a.scheduled,
                     "service_level": a.service_level, "asa_s": a.asa_s,
                     "occupancy": a.occupancy, "p_abandon": a.p_abandon},
    } for c, a in zip(plan_c, plan_a, strict=True)]
    hours = SLOT_S / 3600
    return {
        "tenant": ask.tenant, "tz": ask.tz, "day": ask.day.isoformat(), "days": ask.days,
        "queues": list(ask.queues), "history_weeks": ask.weeks,
        "history_intervals": len(history),
        "target": {"service_level": ask.target.service_level, "target_s": ask.target.target_s,
                   "shrinkage": ask.target.shrinkage,
                   "max_occupancy": ask.target.max_occupancy, "patience_s": ask.patience_s},
        "intervals": intervals,
        "totals": {
            "calls": sum(p.calls for p in predicted),
            "scheduled_hours_erlang_c": sum(c.scheduled for c in plan_c) * hours,
            "scheduled_hours_erlang_a": sum(a.scheduled for a in plan_a) * hours,
            "peak_agents_erlang_c": max((c.agents for c in plan_c), default=0),
            "peak_agents_erlang_a": max((a.agents for a in plan_a), default=0),
        },
    }

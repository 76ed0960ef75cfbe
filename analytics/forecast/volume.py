"""Offered volume and AHT per 15-minute interval, forecast from history.

Seasonality is weekday × time of day in the tenant's zone: an interval is forecast from the
same local weekday and wall-clock slot of the last ``weeks`` weeks, recent weeks weighing
more, scaled by the recent level (last week's total against the weeks it is compared to).
Weekly seasonality covers the working-week shape of contact centers; holidays are not
modelled here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.kpis.results import QueueKpis

SLOT_S = 900


@dataclass(frozen=True)
class IntervalHistory:
    """What happened in one past 15-minute interval."""

    start: datetime
    offered: int
    aht_s: float | None
    """None when nothing was answered in it."""


@dataclass(frozen=True)
class IntervalForecast:
    """Expected calls and AHT of one future 15-minute interval."""

    start: datetime
    calls: float
    aht_s: float


def _slot(at: datetime, tz: ZoneInfo) -> tuple[int, int]:
    local = at.astimezone(tz)
    return local.weekday(), (local.hour * 3600 + local.minute * 60) // SLOT_S


def forecast(history: Iterable[IntervalHistory], start: datetime, days: int, tz: str, *,
             weeks: int = 4, decay: float = 0.7, default_aht_s: float = 180.0,
             ) -> list[IntervalForecast]:
    """Forecast ``days`` of 15-minute intervals from local midnight of ``start``'s day.

    History intervals with no row count as zero calls: a quiet slot is information too.
    """
    if start.tzinfo is None:
        raise ValueError("start must carry a time zone")
    zone = ZoneInfo(tz)
    day0 = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    weights = [decay ** w for w in range(weeks)]  # w = 0: the most recent week
    calls: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0] * weeks)
    handle: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for row in history:
        age_days = (day0 - row.start.astimezone(zone)).total_seconds() / 86400
        if not 0 < age_days <= 7 * weeks:
            continue
        week = int((age_days - 1e-9) // 7)
        slot = _slot(row.start, zone)
        calls[slot][week] += row.offered
        if row.aht_s is not None and row.offered > 0:
            handle[slot].append((row.aht_s, row.offered * weights[week]))
    level = _level(calls, weights)
    out: list[IntervalForecast] = []
    # Step in absolute time between local midnights, so a DST day gets its real intervals.
    first = day0.astimezone(UTC)
    stop = (day0 + timedelta(days=days)).astimezone(UTC)
    for i in range(int((stop - first).total_seconds()) // SLOT_S):
        at = (first + timedelta(seconds=SLOT_S * i)).astimezone(zone)
        slot = _slot(at, zone)
        per_week = calls.get(slot, [0.0] * weeks)
        expected = sum(w * c for w, c in zip(weights, per_week, strict=True)) / sum(weights)
        samples = handle.get(slot, [])
        mass = sum(m for _, m in samples)
        aht = sum(a * m for a, m in samples) / mass if mass > 0 else default_aht_s
        out.append(IntervalForecast(at, expected * level, aht))
    return out


def history_from_kpis(rows: Iterable[QueueKpis]) -> list[IntervalHistory]:
    """History from 15-minute queue KPI rows (``queue_kpis`` with ``Grain.MIN15``)."""
    return [IntervalHistory(r.bucket, r.offered, r.aht_s) for r in rows]


def _level(calls: dict[tuple[int, int], list[float]], weights: list[float]) -> float:
    """Last week's volume against the weighted average week: a growing center forecasts up."""
    if len(weights) < 2:
        return 1.0
    totals = [sum(c[w] for c in calls.values()) for w in range(len(weights))]
    average = sum(w * t for w, t in zip(weights, totals, strict=True)) / sum(weights)
    if average <= 0 or totals[0] <= 0:
        return 1.0
    return totals[0] / average

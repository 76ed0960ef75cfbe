"""Agents needed per interval: Erlang C or Erlang A, then shrinkage."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from analytics.forecast.erlang import (
    MAX_AGENTS,
    erlang_a,
    erlang_c_asa,
    erlang_c_service_level,
)


@dataclass(frozen=True)
class StaffingTarget:
    """What the staffing must achieve, and the time it is lost to.

    ``shrinkage`` is the share of paid time agents are not available for calls (breaks,
    training, absence): 0.3 means 10 agents on the phones need 15 scheduled.
    """

    service_level: float = 0.8
    target_s: float = 20.0
    shrinkage: float = 0.3
    max_occupancy: float = 0.9
    patience_s: float | None = None
    """Mean caller patience: given, Erlang A is used (with abandonment); None, Erlang C."""
    max_abandon: float | None = None
    """With Erlang A, also keep abandonment at or below this share."""

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1 or not 0 <= self.shrinkage < 1:
            raise ValueError("service level in (0, 1) and shrinkage in [0, 1)")
        if not 0 < self.max_occupancy <= 1 or self.target_s < 0:
            raise ValueError("occupancy bound in (0, 1], target time non-negative")


@dataclass(frozen=True)
class IntervalStaffing:
    """The staffing answer for one interval."""

    start: datetime
    calls: float
    aht_s: float
    agents: int
    """Agents needed on the phones."""
    scheduled: int
    """Agents to schedule once shrinkage is accounted for."""
    service_level: float
    asa_s: float
    occupancy: float
    p_abandon: float


def agents_needed(calls: float, interval_s: float, aht_s: float,
                  target: StaffingTarget) -> tuple[int, float, float, float, float]:
    """(agents, service level, ASA, occupancy, abandon share) for one interval's load."""
    if calls <= 0:
        return 0, 1.0, 0.0, 0.0, 0.0
    if aht_s <= 0 or interval_s <= 0:
        raise ValueError("handle time and interval length must be positive")
    rate = calls / interval_s
    load = rate * aht_s
    n = max(1, math.ceil(load) if target.patience_s else math.floor(load) + 1)
    while n <= MAX_AGENTS:
        if target.patience_s is None:
            sl, asa = erlang_c_service_level(load, n, aht_s, target.target_s), \
                erlang_c_asa(load, n, aht_s)
            occ, abandon = load / n, 0.0
            ok = sl >= target.service_level and occ <= target.max_occupancy
        else:
            fig = erlang_a(rate, aht_s, target.patience_s, n, target.target_s)
            sl, asa, occ, abandon = fig.service_level, fig.asa_s, fig.occupancy, fig.p_abandon
            ok = (sl >= target.service_level and occ <= target.max_occupancy
                  and (target.max_abandon is None or abandon <= target.max_abandon))
        if ok:
            return n, sl, asa, occ, abandon
        n += 1
    raise ValueError(f"more than {MAX_AGENTS} agents would be needed for {calls} calls")


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` remain after shrinkage."""
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def staffing_plan(intervals: Iterable[tuple[datetime, float, float]], interval_s: float,
                  target: StaffingTarget) -> list[IntervalStaffing]:
    """Staffing per interval from (start, forecast calls, forecast AHT seconds)."""
    out: list[IntervalStaffing] = []
    for start, calls, aht_s in intervals:
        n, sl, asa, occ, abandon = agents_needed(calls, interval_s, aht_s, target)
        out.append(IntervalStaffing(start, calls, aht_s, n, with_shrinkage(n, target.shrinkage),
                                    sl, asa, occ, abandon))
    return out

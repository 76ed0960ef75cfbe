"""Query-string parsing for the dashboard API: typed values or a DashboardError naming the field.

Unknown parameters are refused (a typo must not silently widen a query), single-valued
ones may appear once, and the tenant always comes from the principal unless the reader
is the operator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from multidict import MultiMapping

from analytics.dashboard.errors import (
    PARAM_MISSING,
    PARAM_UNKNOWN,
    RANGE_INVALID,
    RANGE_TOO_LARGE,
    TENANT_FORBIDDEN,
    DashboardError,
    invalid,
)
from analytics.dashboard.principal import Principal
from analytics.kpis import DEFAULT_TZ, Dimension, Grain, KpiQuery, Source
from analytics.schema.rollups import ANSWERED_WITHIN_S, BUCKET_SECONDS, SHORT_ABANDON_S

T = TypeVar("T")

GRAINS: dict[str, Grain] = {"15m": Grain.MIN15, "hour": Grain.HOUR, "day": Grain.DAY,
                            "week": Grain.WEEK, "month": Grain.MONTH}
# Shortest length of each grain: an upper bound of the buckets a range can hold.
_GRAIN_S = {Grain.MIN15: 900, Grain.HOUR: 3600, Grain.DAY: 86400, Grain.WEEK: 7 * 86400,
            Grain.MONTH: 28 * 86400}
MAX_POINTS = 3000
"""Buckets per series a chart may ask for (a year of hours is too many to draw)."""
MAX_RANGE = timedelta(days=3 * 366)
MAX_QUEUES = 50
_LABEL = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")

SCOPE_PARAMS = frozenset({"tenant", "tz", "start", "end", "queue"})
"""Parameters of every ranged question."""
KPI_PARAMS = SCOPE_PARAMS | {"grain", "sl", "short_abandon"}


class QueryParams:
    """The query string of one request, checked against the names an endpoint accepts."""

    def __init__(self, query: MultiMapping[str], allowed: Iterable[str]) -> None:
        self._query = query
        allowed_set = frozenset(allowed)
        for name in sorted(set(query.keys())):
            if name not in allowed_set:
                raise DashboardError(
                    PARAM_UNKNOWN, f"{name}: unknown parameter; this endpoint takes "
                    f"{', '.join(sorted(allowed_set)) or 'none'}", name)

    def text(self, name: str) -> str | None:
        """The one value of ``name``, or None when absent."""
        values = self._query.getall(name, [])
        if len(values) > 1:
            raise invalid(name, "given more than once")
        return values[0] if values else None

    def required(self, name: str) -> str:
        """The one value of ``name``; missing or empty is an error."""
        value = self.text(name)
        if value is None or value == "":
            raise DashboardError(PARAM_MISSING, f"{name}: required", name)
        return value

    def label(self, name: str) -> str | None:
        """An identifier-like value (tenant, queue, agent, call id), or None."""
        value = self.text(name)
        if value is not None and not _LABEL.match(value):
            raise invalid(name, "1 to 128 printable characters")
        return value

    def labels(self, name: str, limit: int = MAX_QUEUES) -> tuple[str, ...]:
        """Every value of a repeatable parameter, in order, without repeats."""
        values = tuple(dict.fromkeys(self._query.getall(name, [])))
        if len(values) > limit:
            raise invalid(name, f"at most {limit} values")
        for value in values:
            if not _LABEL.match(value):
                raise invalid(name, "1 to 128 printable characters")
        return values

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """An integer in [low, high]; ``default`` when absent."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid(name, f"an integer is expected, not {raw!r}") from None
        if not low <= value <= high:
            raise invalid(name, f"must be between {low} and {high}")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        """A finite number in [low, high]; ``default`` when absent."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise invalid(name, f"a number is expected, not {raw!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise invalid(name, f"must be between {low:g} and {high:g}")
        return value

    def choice(self, name: str, options: Mapping[str, T], default: T) -> T:
        """One of ``options``' keys, mapped to its value; ``default`` when absent."""
        raw = self.text(name)
        if raw is None:
            return default
        if raw not in options:
            raise invalid(name, f"one of {', '.join(options)}")
        return options[raw]

    def flag(self, name: str) -> bool:
        """A boolean given as 1/0/true/false; false when absent."""
        return self.choice(name, {"1": True, "true": True, "0": False, "false": False}, False)


def tenant_of(params: QueryParams, principal: Principal) -> str:
    """The tenant a question is about: the principal's, or the operator's choice."""
    asked = params.label("tenant")
    if principal.tenant is not None:
        if asked is not None and asked != principal.tenant:
            raise DashboardError(TENANT_FORBIDDEN,
                                 "tenant: this account may read its own tenant only", "tenant")
        return principal.tenant
    if asked is None:
        raise DashboardError(PARAM_MISSING, "tenant: the operator picks one", "tenant")
    return asked


def zone(params: QueryParams) -> str:
    """The IANA time zone buckets and dates are taken in."""
    tz = params.text("tz") or DEFAULT_TZ
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("tz", f"unknown time zone {tz!r}") from None
    return tz


def instant(params: QueryParams, name: str, tz: str) -> datetime:
    """A date (local midnight) or date-time (local unless it has an offset) on 15 minutes."""
    raw = params.required(name)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"YYYY-MM-DD or an ISO 8601 date-time, not {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    if int(value.timestamp()) % BUCKET_SECONDS or value.second or value.microsecond:
        raise invalid(name, "must fall on a 15-minute boundary")
    return value


@dataclass(frozen=True)
class Scope:
    """Whose data, which time range (end exclusive), which zone, which queues."""

    tenant: str
    start: datetime
    end: datetime
    tz: str
    queues: tuple[str, ...]

    def kpi_query(self, grain: Grain, *, by: tuple[Dimension, ...] = (),
                  sl_threshold_s: int = 20, short_abandon_s: int = 0,
                  all_queues: bool = False) -> KpiQuery:
        """The KPI module's question for this scope, always answered from the rollups.

        ``all_queues`` drops the queue filter (agent state time is per agent, not queue).
        """
        return KpiQuery(self.tenant, self.start, self.end, grain, tz=self.tz, by=by,
                        queues=() if all_queues else self.queues,
                        sl_threshold_s=sl_threshold_s, short_abandon_s=short_abandon_s,
                        source=Source.ROLLUP)


def scope(params: QueryParams, principal: Principal) -> Scope:
    """Tenant, range, zone and queues of a ranged question."""
    tenant = tenant_of(params, principal)
    tz = zone(params)
    start, end = instant(params, "start", tz), instant(params, "end", tz)
    if end <= start:
        raise DashboardError(RANGE_INVALID, "end: must come after start", "end")
    if end - start > MAX_RANGE:
        raise DashboardError(RANGE_TOO_LARGE, f"end: at most {MAX_RANGE.days} days after "
                             "start", "end")
    return Scope(tenant, start, end, tz, params.labels("queue"))


@dataclass(frozen=True)
class KpiFilters:
    """A scope plus the bucket size and the service-level thresholds."""

    scope: Scope
    grain: Grain
    sl_threshold_s: int
    short_abandon_s: int

    def kpi_query(self, grain: Grain | None = None, *,
                  by: tuple[Dimension, ...] = ()) -> KpiQuery:
        """The KPI module's question for these filters."""
        return self.scope.kpi_query(grain or self.grain, by=by,
                                    sl_threshold_s=self.sl_threshold_s,
                                    short_abandon_s=self.short_abandon_s)


def kpi_filters(params: QueryParams, principal: Principal, *,
                grain_default: Grain = Grain.DAY) -> KpiFilters:
    """Scope, grain and thresholds; only thresholds the 15-minute rollup holds are offered.

    Questions without a time axis (heatmap, league) do not accept ``grain``: they pass a
    coarse default so the bucket limit never refuses their range.
    """
    s = scope(params, principal)
    grain = params.choice("grain", GRAINS, grain_default)
    buckets = math.ceil((s.end - s.start).total_seconds() / _GRAIN_S[grain])
    if buckets > MAX_POINTS:
        raise DashboardError(
            RANGE_TOO_LARGE, f"grain: {buckets} buckets of {grain.value}; at most {MAX_POINTS}: "
            "pick a coarser granularity or a shorter range", "grain")
    sl = params.choice("sl", {str(t): t for t in ANSWERED_WITHIN_S}, 20)
    short = params.choice("short_abandon", {str(t): t for t in (0, *SHORT_ABANDON_S)}, 0)
    return KpiFilters(s, grain, sl, short)

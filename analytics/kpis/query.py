"""What a KPI question is (tenant, range, grain, zone, grouping) and its SQL building blocks.

Values are inlined as escaped literals rather than bound, because the two engines bind
differently (chDB ``{x:T}``, clickhouse-driver ``%(x)s``); the builders stay pure and shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.schema.ddl import quote
from analytics.schema.rollups import ANSWERED_WITHIN_S, BUCKET_SECONDS, SHORT_ABANDON_S

DEFAULT_TZ = "Asia/Shanghai"


class Grain(Enum):
    """Size of the time buckets, all taken in the tenant's time zone."""

    MIN15 = "15min"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"  # ISO weeks, starting Monday
    MONTH = "month"


class Dimension(Enum):
    """What KPI rows can be grouped by, besides time."""

    TENANT = "tenant"
    QUEUE = "queue"
    AGENT = "agent"
    SKILL = "skill"


class Source(Enum):
    """Where queue KPIs are read from."""

    AUTO = "auto"  # the rollup when it holds the thresholds asked for, else raw rows
    ROLLUP = "rollup"
    RAW = "raw"


def bucket_sql(grain: Grain, column: str, tz: str) -> str:
    """Epoch seconds of the start of ``column``'s bucket in zone ``tz``.

    15-minute buckets are zone-free (every zone in use is offset by a multiple of 15 min);
    the others start at local hour/midnight/Monday/1st. Weeks and months go through a Date
    (18.16 has no toStartOfWeek) and back to the instant of local midnight.
    """
    z = quote(tz)
    expr = {
        Grain.MIN15: f"toStartOfFifteenMinutes({column})",
        Grain.HOUR: f"toStartOfHour({column}, {z})",
        Grain.DAY: f"toStartOfDay({column}, {z})",
        Grain.WEEK: f"toDateTime(toMonday({column}, {z}), {z})",
        Grain.MONTH: f"toDateTime(toStartOfMonth({column}, {z}), {z})",
    }[grain]
    return f"toUnixTimestamp({expr})"


@dataclass(frozen=True)
class KpiQuery:
    """One KPI question for one tenant. ``start``/``end`` are aware datetimes on 15-min
    boundaries; ``end`` is exclusive."""

    tenant: str
    start: datetime
    end: datetime
    grain: Grain = Grain.MIN15
    tz: str = DEFAULT_TZ
    by: tuple[Dimension, ...] = ()
    queues: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    sl_threshold_s: int = 20
    short_abandon_s: int = 0
    """Abandons with a wait below this are left out of SL (0: none are)."""
    source: Source = Source.AUTO

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"{name} must carry a time zone, never an implicit UTC")
            if int(value.timestamp()) % BUCKET_SECONDS:
                raise ValueError(f"{name} must fall on a 15-minute boundary")
        if self.end <= self.start:
            raise ValueError("end must come after start")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        if self.sl_threshold_s < 0 or self.short_abandon_s < 0:
            raise ValueError("thresholds are non-negative seconds")
        if len(set(self.by)) != len(self.by):
            raise ValueError("each grouping dimension once")

    @property
    def start_epoch(self) -> int:
        """``start`` as epoch seconds."""
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        """``end`` as epoch seconds."""
        return int(self.end.timestamp())

    def uses_rollup(self) -> bool:
        """True when the 15-minute rollup can answer (it holds the thresholds asked for)."""
        fits = (self.sl_threshold_s in ANSWERED_WITHIN_S
                and self.short_abandon_s in (0, *SHORT_ABANDON_S))
        if self.source is Source.ROLLUP and not fits:
            raise ValueError(
                f"the rollup keeps SL thresholds {ANSWERED_WITHIN_S} and short abandons "
                f"{SHORT_ABANDON_S}; use Source.RAW for other values")
        return self.source is Source.ROLLUP or (self.source is Source.AUTO and fits)

    def where(self, time_column: str) -> str:
        """The tenant, range and queue/agent filters."""
        parts = [f"tenant = {quote(self.tenant)}",
                 f"{time_column} >= toDateTime({self.start_epoch})",
                 f"{time_column} < toDateTime({self.end_epoch})"]
        if self.queues:
            parts.append(f"queue IN ({', '.join(quote(q) for q in self.queues)})")
        if self.agents:
            parts.append(f"agent IN ({', '.join(quote(a) for a in self.agents)})")
        return " AND ".join(parts)

    def group_columns(self) -> list[str]:
        """The grouping dimension columns, in the order asked."""
        return [d.value for d in self.by]

"""KPI rows: the summed measures of a bucket and the industry ratios derived from them.

Ratios are None when their denominator is zero (no calls is not a 0 % service level).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


@dataclass(frozen=True)
class QueueKpis:
    """Queue measures of one bucket (and group) and their KPIs."""

    bucket: datetime
    group: dict[str, str]
    sl_threshold_s: int
    short_abandon_s: int
    offered: int
    answered: int
    abandoned: int
    answered_within: int
    short_abandoned: int
    answered_wait_ms: int
    talk_ms: int
    hold_ms: int
    wrap_ms: int
    transferred: int
    longest_wait_ms: int

    @property
    def service_level(self) -> float | None:
        """Answered within T ÷ (answered + abandoned − short abandons)."""
        return _ratio(self.answered_within,
                      self.answered + self.abandoned - self.short_abandoned)

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer over answered calls, seconds."""
        return _ratio(self.answered_wait_ms / 1000, self.answered)

    @property
    def aht_s(self) -> float | None:
        """Average handle time = talk + hold + wrap over answered calls, seconds."""
        return _ratio((self.talk_ms + self.hold_ms + self.wrap_ms) / 1000, self.answered)

    @property
    def abandonment_rate(self) -> float | None:
        """Abandoned ÷ offered."""
        return _ratio(self.abandoned, self.offered)

    @property
    def abandonment_rate_excl_short(self) -> float | None:
        """(Abandoned − short abandons) ÷ (offered − short abandons)."""
        return _ratio(self.abandoned - self.short_abandoned,
                      self.offered - self.short_abandoned)

    @property
    def transfer_rate(self) -> float | None:
        """Transferred ÷ answered."""
        return _ratio(self.transferred, self.answered)

    @property
    def longest_wait_s(self) -> float:
        """Longest time any call of the bucket waited (answered or not), seconds."""
        return self.longest_wait_ms / 1000


BUSY_STATES = ("talk", "hold", "wrap")
AVAILABLE_STATES = ("available", "ringing")


@dataclass(frozen=True)
class AgentTime:
    """Seconds per agent state in one bucket (and group), and occupancy/utilization."""

    bucket: datetime
    group: dict[str, str]
    seconds: dict[str, int]

    @property
    def busy_s(self) -> int:
        """Handling time: talk + hold + wrap."""
        return sum(self.seconds.get(s, 0) for s in BUSY_STATES)

    @property
    def logged_in_s(self) -> int:
        """Every logged-in state, pauses included."""
        return sum(self.seconds.values())

    @property
    def occupancy(self) -> float | None:
        """Handling ÷ (handling + available): how busy agents were while open to calls."""
        return _ratio(self.busy_s,
                      self.busy_s + sum(self.seconds.get(s, 0) for s in AVAILABLE_STATES))

    @property
    def utilization(self) -> float | None:
        """Handling ÷ logged-in time (pauses count against it)."""
        return _ratio(self.busy_s, self.logged_in_s)


@dataclass(frozen=True)
class FirstContactResolution:
    """Handled contacts of a bucket and those not repeated within the window."""

    bucket: datetime
    group: dict[str, str]
    repeat_window_days: int
    handled: int
    resolved: int

    @property
    def rate(self) -> float | None:
        """Resolved ÷ handled."""
        return _ratio(self.resolved, self.handled)

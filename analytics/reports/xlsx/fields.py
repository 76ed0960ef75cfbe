"""What a template can ask for: the datasets (one per data region) and their fields.

A data region is a row of ``{{<dataset>.<field>}}`` markers; scalar markers
``{{report.<field>}}`` may sit in any text cell. Values are numbers, text, datetimes
(written as Excel dates in the tenant's zone) or None (an empty cell: no calls is not 0 %).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.kpis.results import AgentTime, QueueKpis

Value = int | float | str | datetime | None


def _s(ms: int) -> float:
    return ms / 1000


QUEUE_FIELDS: dict[str, Callable[[QueueKpis], Value]] = {
    "bucket": lambda r: r.bucket,
    "queue": lambda r: r.group.get("queue", ""),
    "offered": lambda r: r.offered,
    "answered": lambda r: r.answered,
    "abandoned": lambda r: r.abandoned,
    "short_abandoned": lambda r: r.short_abandoned,
    "answered_within": lambda r: r.answered_within,
    "sl_threshold_s": lambda r: r.sl_threshold_s,
    "service_level": lambda r: r.service_level,
    "asa_s": lambda r: r.asa_s,
    "aht_s": lambda r: r.aht_s,
    "abandonment_rate": lambda r: r.abandonment_rate,
    "abandonment_rate_excl_short": lambda r: r.abandonment_rate_excl_short,
    "transferred": lambda r: r.transferred,
    "transfer_rate": lambda r: r.transfer_rate,
    "longest_wait_s": lambda r: r.longest_wait_s,
    "talk_s": lambda r: _s(r.talk_ms),
    "hold_s": lambda r: _s(r.hold_ms),
    "wrap_s": lambda r: _s(r.wrap_ms),
}


@dataclass(frozen=True, slots=True)
class AgentLeagueRow:
    """One agent over the whole report range: handled calls and state time."""

    rank: int
    calls: QueueKpis
    time: AgentTime | None

    @property
    def agent(self) -> str:
        """The agent's id."""
        return self.calls.group.get("agent", "")


def _time(attr: str) -> Callable[[AgentLeagueRow], Value]:
    def get(row: AgentLeagueRow) -> Value:
        value: Value = None if row.time is None else getattr(row.time, attr)
        return value
    return get


AGENT_FIELDS: dict[str, Callable[[AgentLeagueRow], Value]] = {
    "rank": lambda r: r.rank,
    "agent": lambda r: r.agent,
    "answered": lambda r: r.calls.answered,
    "aht_s": lambda r: r.calls.aht_s,
    "asa_s": lambda r: r.calls.asa_s,
    "talk_s": lambda r: _s(r.calls.talk_ms),
    "hold_s": lambda r: _s(r.calls.hold_ms),
    "wrap_s": lambda r: _s(r.calls.wrap_ms),
    "transferred": lambda r: r.calls.transferred,
    "transfer_rate": lambda r: r.calls.transfer_rate,
    "busy_s": _time("busy_s"),
    "logged_in_s": _time("logged_in_s"),
    "occupancy": _time("occupancy"),
    "utilization": _time("utilization"),
}

ABANDON_FIELDS: dict[str, Callable[[QueueKpis], Value]] = {
    name: QUEUE_FIELDS[name] for name in (
        "bucket", "queue", "offered", "answered", "abandoned", "short_abandoned",
        "abandonment_rate", "abandonment_rate_excl_short", "asa_s", "longest_wait_s")
}

DATASETS: dict[str, dict[str, Callable[[Any], Value]]] = {
    "queue": QUEUE_FIELDS,
    "agent": AGENT_FIELDS,
    "abandon": ABANDON_FIELDS,
}
"""Dataset name (the marker prefix) -> its fields."""

SCALARS = ("tenant", "queues", "from", "to", "period", "grain", "timezone", "generated_at",
           "sl_threshold_s", "short_abandon_s")
"""``{{report.<name>}}`` markers."""

"""A small hand-checked day of traffic for tenant ``acme`` (Asia/Shanghai, UTC+8).

Calls c1..c4 happen just after local midnight of Monday 2026-03-02, which is still Sunday
16:xx in UTC: bucketing in UTC instead of the tenant's zone moves them to the wrong day
and week. Expected figures are worked out by hand in the tests next to each assertion.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, h: int, m: int, s: int = 0) -> datetime:
    """An instant given as Shanghai wall time in March 2026."""
    return datetime(2026, 3, day, h, m, s, tzinfo=SHANGHAI)


def _call(event_id: str, queue: str, at: datetime, outcome: str, wait_s: int, *,
          caller: str = "", agent: str = "", talk: int = 0, hold: int = 0, wrap: int = 0,
          transferred: int = 0, call_id: str = "", segment: int = 0,
          tenant: str = "acme") -> dict[str, object]:
    return {
        "event_id": event_id, "tenant": tenant, "queue": queue, "skill": f"{queue}-skill",
        "call_id": call_id or event_id, "segment": segment, "caller_key": caller,
        "enqueued_at": at, "outcome": outcome, "wait_ms": wait_s * 1000,
        "talk_ms": talk * 1000, "hold_ms": hold * 1000, "wrap_ms": wrap * 1000,
        "agent": agent, "transferred": transferred,
    }


QUEUE_CALLS = [
    _call("c7", "sales", local(1, 23, 50), "answered", 5, caller="k5", agent="a2", talk=60),
    _call("c1", "sales", local(2, 0, 10), "answered", 8, caller="k1", agent="a1",
          talk=100, hold=10, wrap=20),
    _call("c2", "sales", local(2, 0, 12), "answered", 25, caller="k2", agent="a2",
          talk=200, wrap=30, transferred=1),
    _call("c3", "sales", local(2, 0, 20), "abandoned", 3, caller="k3"),
    _call("c4", "sales", local(2, 0, 40), "abandoned", 50, caller="k1"),
    _call("c5", "support", local(2, 9, 5), "answered", 15, caller="k4", agent="a1",
          talk=300, hold=60, wrap=40),
    _call("c6", "support", local(2, 9, 7), "timed_out", 120),
    _call("c8s0", "sales", local(2, 10, 0), "overflowed", 60, caller="k6", call_id="c8"),
    _call("c8s1", "support", local(2, 10, 1), "answered", 10, caller="k6", agent="a1",
          talk=50, call_id="c8", segment=1),
    # k2 calls again 8 days later, outside the asked range but inside a 10-day window.
    _call("c9", "sales", local(10, 0, 12), "answered", 4, caller="k2", agent="a2", talk=30),
    # Another tenant at the same moment: must never show up in acme's figures.
    _call("o1", "sales", local(2, 0, 10), "answered", 1, caller="k1", agent="a1",
          talk=10, tenant="other"),
]


def _state(event_id: str, agent: str, state: str, start: datetime, end: datetime, *,
           reason: str = "") -> dict[str, object]:
    return {"event_id": event_id, "tenant": "acme", "agent": agent, "state": state,
            "reason": reason, "started_at": start, "ended_at": end}


AGENT_STATES = [
    _state("s1", "a1", "available", local(2, 0, 0), local(2, 0, 10)),
    _state("s2", "a1", "talk", local(2, 0, 10), local(2, 0, 12)),
    _state("s3", "a1", "wrap", local(2, 0, 12), local(2, 0, 12, 30)),
    _state("s4", "a1", "paused", local(2, 0, 12, 30), local(2, 0, 20), reason="lunch"),
    _state("s5", "a1", "available", local(2, 0, 20), local(2, 0, 30)),
    _state("s6", "a2", "talk", local(2, 0, 12), local(2, 0, 16)),
]

"""A deterministic sample of center traffic for the dashboard's demo and tests.

Two tenants in different zones (``acme`` in Asia/Shanghai, ``globex`` in Europe/Berlin),
four weeks of queued calls with a weekday/time-of-day shape (so the heatmap and the
staffing forecast have seasonality to show), agent state intervals, and one routing
decision per answered call with its candidates, scores and the rule that fired. Caller
identities look like phone numbers so that masking for readers without PII rights shows.
Events go through the real sink (spool, batches, rollups), as production events do.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.sink.writer import EventSink

Event = dict[str, object]


@dataclass(frozen=True)
class SampleTenant:
    """One tenant of the sample: its zone, queues, agents and calls per weekday."""

    name: str
    tz: str
    queues: tuple[str, ...]
    agents: tuple[str, ...]
    calls_per_day: int


TENANTS = (
    SampleTenant("acme", "Asia/Shanghai", ("sales", "support", "billing"),
                 tuple(f"a{i:02d}" for i in range(1, 13)), 240),
    SampleTenant("globex", "Europe/Berlin", ("claims", "sales"),
                 tuple(f"g{i:02d}" for i in range(1, 7)), 120),
)
DAYS = 28
FIRST_DAY = (2026, 3, 2)
"""A Monday; the sample covers FIRST_DAY and the 27 days after it, in each tenant's zone."""
RULES = ("", "", "", "relax_skill_level", "priority_boost", "overflow")
# Share of a day's calls per local hour: a contact-center day with two peaks.
_HOURS = {8: 4, 9: 9, 10: 12, 11: 11, 12: 6, 13: 7, 14: 10, 15: 11, 16: 9, 17: 6, 18: 3,
          19: 2}


def first_day(tenant: SampleTenant) -> datetime:
    """Local midnight of the sample's first day for ``tenant``."""
    return datetime(*FIRST_DAY, tzinfo=ZoneInfo(tenant.tz))


def _day_volume(tenant: SampleTenant, day: datetime) -> int:
    weekend = day.weekday() >= 5
    return tenant.calls_per_day // 4 if weekend else tenant.calls_per_day


def calls(tenant: SampleTenant, seed: int = 7) -> Iterator[tuple[Event, Event | None]]:
    """(queue_calls event, routing_decisions event or None) per call of ``tenant``."""
    rng = random.Random(f"{seed}-{tenant.name}")
    weight = sum(_HOURS.values())
    n = 0
    for d in range(DAYS):
        day = first_day(tenant) + timedelta(days=d)
        for hour, share in _HOURS.items():
            for _ in range(round(_day_volume(tenant, day) * share / weight)):
                n += 1
                at = day.replace(hour=hour) + timedelta(seconds=rng.randrange(3600))
                yield _call(rng, tenant, at, n)


def _call(rng: random.Random, tenant: SampleTenant, at: datetime,
          n: int) -> tuple[Event, Event | None]:
    queue = rng.choice(tenant.queues)
    call_id = f"{tenant.name}-c{n:06d}"
    wait = min(int(rng.expovariate(1 / 22)), 600)
    patience = rng.expovariate(1 / 90)
    answered = patience >= wait
    agent = rng.choice(tenant.agents) if answered else ""
    event: Event = {
        "event_id": f"{call_id}:0", "tenant": tenant.name, "queue": queue,
        "skill": f"{queue}-1", "call_id": call_id, "segment": 0,
        "caller_key": f"+86138{rng.randrange(10**8):08d}", "enqueued_at": at,
        "outcome": "answered" if answered else "abandoned",
        "wait_ms": (wait if answered else int(patience)) * 1000,
        "ring_ms": rng.randrange(1000, 6000) if answered else 0,
        "talk_ms": int(rng.lognormvariate(5.0, 0.5) * 1000) if answered else 0,
        "hold_ms": rng.choice((0, 0, 0, 15_000)) if answered else 0,
        "wrap_ms": rng.randrange(5, 40) * 1000 if answered else 0,
        "agent": agent, "transferred": int(answered and rng.random() < 0.05),
    }
    if not answered:
        return event, None
    others = rng.sample([a for a in tenant.agents if a != agent], k=rng.randrange(1, 5))
    scores = sorted((round(rng.uniform(0.2, 0.9), 3) for _ in others), reverse=True)
    decision: Event = {
        "event_id": f"{call_id}:d0", "tenant": tenant.name, "queue": queue,
        "call_id": call_id, "decided_at": at + timedelta(seconds=max(0, wait - 1)),
        "strategy": rng.choice(("skills_weighted", "longest_idle")),
        "rule": rng.choice(RULES), "chosen_agent": agent,
        "candidates": [agent, *others], "scores": [round(scores[0] + 0.05, 3), *scores],
        "latency_us": rng.randrange(20, 400),
    }
    return event, decision


def agent_states(tenant: SampleTenant, seed: int = 7) -> Iterator[Event]:
    """Closed state intervals of every agent's weekday shifts (09:00 to about 18:00)."""
    rng = random.Random(f"{seed}-{tenant.name}-states")
    states = (("available", 60, 300), ("talk", 60, 420), ("wrap", 10, 60))
    n = 0
    for d in range(DAYS):
        day = first_day(tenant) + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for agent in tenant.agents:
            t, end = day.replace(hour=9), day.replace(hour=18)
            while t < end:
                cycle = [(s, rng.randrange(lo, hi)) for s, lo, hi in states]
                if rng.random() < 0.08:
                    cycle.append(("paused", 600))
                for state, seconds in cycle:
                    n += 1
                    yield {"event_id": f"{tenant.name}-s{n:07d}", "tenant": tenant.name,
                           "agent": agent, "state": state,
                           "reason": "break" if state == "paused" else "",
                           "started_at": t, "ended_at": t + timedelta(seconds=seconds)}
                    t += timedelta(seconds=seconds)


def _columns(events: list[Event]) -> dict[str, list[object]]:
    return {k: [e[k] for e in events] for k in events[0]}


async def load_sample(sink: EventSink, tenants: tuple[SampleTenant, ...] = TENANTS) -> int:
    """Emit the whole sample through ``sink`` (as column blocks) and wait until it is in
    ClickHouse; returns the number of events."""
    total = 0
    for tenant in tenants:
        pairs = list(calls(tenant))
        tables = {
            "queue_calls": [c for c, _ in pairs],
            "routing_decisions": [d for _, d in pairs if d is not None],
            "agent_states": list(agent_states(tenant)),
        }
        for table, events in tables.items():
            for i in range(0, len(events), 10_000):
                result = await sink.emit_block(table, _columns(events[i:i + 10_000]))
                if result.rejected:
                    raise ValueError(f"the sample has {result.rejected} bad {table} rows")
            total += len(events)
    await sink.flush(within_s=120)
    return total


def main(argv: list[str] | None = None) -> int:
    """``python -m analytics.dashboard.sample --chdb PATH``: load the sample into a chDB
    path that no running process owns (for the demo's BI page, or a test's control plane:
    ``<run_dir>/analytics/chdb`` is where the control plane looks)."""
    import argparse
    import asyncio
    import shutil
    import tempfile
    from pathlib import Path

    from analytics.sink.backends.chdb_backend import ChdbBackend

    parser = argparse.ArgumentParser(prog="python -m analytics.dashboard.sample")
    parser.add_argument("--chdb", type=Path, required=True, help="chDB data path")
    parser.add_argument("--database", default="callcenter")
    args = parser.parse_args(argv)
    backend = ChdbBackend(args.chdb, database=args.database)
    spool = Path(tempfile.mkdtemp(prefix="cc-sample-spool-"))

    async def run() -> int:
        sink = EventSink(backend, spool)
        await sink.start()
        try:
            return await load_sample(sink)
        finally:
            await sink.close()

    try:
        count = asyncio.run(run())
    finally:
        backend.close()
        shutil.rmtree(spool, ignore_errors=True)
    print(f"loaded {count} sample events into {args.chdb} (database {args.database})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

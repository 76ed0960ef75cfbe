"""Agents' state intervals for analytics: one row per closed interval, from a real engine."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from control_plane.acd.engine import Engine
from control_plane.acd.events import (
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallEnded,
    OfferAccepted,
)
from control_plane.acd.model import AgentRef, CallRef
from control_plane.calls.agent_states import AgentStateRecorder
from tests.unit.acd_store.helpers import arrive, center, login


class Rows:
    """A record sink that keeps what it was given."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, object]]] = []

    async def write(self, table: str, row: Mapping[str, object]) -> None:
        self.rows.append((table, dict(row)))


async def test_every_closed_interval_is_one_row_with_its_state_and_reason() -> None:
    engine, sink, now = Engine(), Rows(), [100.0]
    recorder = AgentStateRecorder(lambda: engine, sink, wall=lambda: now[0])
    a1 = AgentRef("acme", "a1")

    def step(event: object, at: float) -> None:
        now[0] = at
        for command in engine.apply(event, at).commands:  # type: ignore[arg-type]
            recorder.observe(command)
        recorder.sweep()  # what the once-a-second sweep sees

    for event in center("acme"):
        step(event, 100.0)
    step(login("acme", "a1"), 100.0)  # ready
    step(arrive("acme", "c1"), 110.0)  # offered: ringing
    step(OfferAccepted(CallRef("acme", "c1"), a1), 113.0)  # talk
    step(AgentPaused(a1, "lunch"), 120.0)  # a pause asked on a call waits for its end
    step(CallEnded(CallRef("acme", "c1")), 150.0)
    step(AgentLoggedOut(a1), 200.0)
    step(AgentReady(a1), 210.0)  # logged out: refused, no interval
    await recorder.drain()
    rows = [r for t, r in sink.rows if t == "agent_states"]
    spans = [(r["state"], r["started_at"], r["ended_at"]) for r in rows]
    assert spans[:2] == [("available", 100.0, 110.0), ("ringing", 110.0, 113.0)]
    assert ("talk", 113.0, 150.0) in spans
    assert rows[-1]["state"] == "paused" and rows[-1]["reason"] == "lunch"
    assert all(r["tenant"] == "acme" and r["agent"] == "a1" for r in rows)
    assert len({r["event_id"] for r in rows}) == len(rows)  # keyed: retries never double
    assert rows[-1]["ended_at"] == 200.0  # the last interval closed at the logout
    assert all(float(b) < float(e) for _, b, e in spans)  # type: ignore[arg-type]


async def test_close_ends_the_open_intervals_and_a_pause_carries_its_reason() -> None:
    engine, sink, now = Engine(), Rows(), [0.0]
    recorder = AgentStateRecorder(lambda: engine, sink, wall=lambda: now[0])
    for event in [*center("acme"), login("acme", "a1"), AgentPaused(AgentRef("acme", "a1"),
                                                                   "lunch")]:
        engine.apply(event, 0.0)
    recorder.sweep()
    now[0] = 42.0
    recorder.close()
    await asyncio.sleep(0)
    await recorder.drain()
    assert [(r["state"], r["reason"], r["ended_at"]) for _, r in sink.rows] == [
        ("paused", "lunch", 42.0)]

"""The pump: publishes what changed in the live figures, only for watched tenants.

The figures come from a scripted ``LiveStats`` (the port's own contract); the pump over a
real ACD engine is tested in tests/integration/api/test_ws_live.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from control_plane.acd.model import AgentRef
from control_plane.api.agent_ports import AgentLive, QueueLive
from control_plane.events.bus import EventBus, EventFilter, EventKind, LiveEvent, Subscription
from control_plane.events.pump import LivePump, RosterEntry


def queue(name: str, waiting: int) -> QueueLive:
    return QueueLive(queue=name, waiting=waiting, oldest_wait_seconds=0.0, agents={},
                     answered=0, answered_in_target=0, abandoned=0, short_abandoned=0,
                     target_seconds=20.0, service_level=None)


@dataclass
class Figures:
    """What the ACD says now, per tenant; the test changes it between polls."""

    by_tenant: dict[str, list[QueueLive]] = field(default_factory=dict)
    states: dict[AgentRef, tuple[str, str | None]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    async def queue(self, tenant: str, name: str) -> QueueLive | None:
        return next((q for q in self.by_tenant.get(tenant, []) if q.queue == name), None)

    async def queues(self, tenant: str) -> list[QueueLive]:
        self.reads.append(tenant)
        return self.by_tenant.get(tenant, [])

    async def agent(self, agent: AgentRef) -> AgentLive:
        state, reason = self.states.get(agent, ("logged_out", None))
        return AgentLive(agent=agent, state=state, pause_reason=reason,
                         seconds_in_state=1.0, calls_handled=0)


async def roster(tenant: str) -> list[RosterEntry]:
    return [RosterEntry(1, "Ann", 10), RosterEntry(2, "Al", 20)]


def events(sub: Subscription) -> list[LiveEvent]:
    out = []
    while sub.pending():
        item = sub._items.popleft()
        assert isinstance(item, LiveEvent)
        out.append(item)
    return out


async def test_baseline_then_only_changes() -> None:
    bus, figures = EventBus(), Figures()
    figures.by_tenant["a"] = [queue("sales", 0)]
    pump = LivePump(bus, live=lambda: figures, roster=roster)
    sub = bus.subscribe(EventFilter(tenant="a"))
    assert await pump.poll_all() == 0  # the baseline
    assert await pump.poll_all() == 0  # nothing changed
    figures.by_tenant["a"] = [queue("sales", 2)]
    figures.states[AgentRef("a", "1")] = ("paused", "lunch")
    assert await pump.poll_all() == 2
    got = events(sub)
    assert [(e.kind, e.queue, e.agent) for e in got] == [
        (EventKind.QUEUE_STATS, "sales", None), (EventKind.AGENT_STATE, None, "1")]
    assert got[0].data["waiting"] == 2
    assert (got[1].data["name"], got[1].data["team_id"], got[1].data["state"],
            got[1].data["pause_reason"]) == ("Ann", 10, "paused", "lunch")
    assert await pump.poll_all() == 0


async def test_only_watched_tenants_are_read() -> None:
    bus, figures = EventBus(), Figures()
    pump = LivePump(bus, live=lambda: figures, roster=roster)
    await pump.poll_all()
    assert figures.reads == []
    sub = bus.subscribe(EventFilter(tenant="b"))
    everyone = bus.subscribe(EventFilter(tenant=None))  # the operator: no tenant to read
    await pump.poll_all()
    assert figures.reads == ["b"]
    sub.close()
    everyone.close()
    await pump.poll_all()
    assert figures.reads == ["b"]


async def test_no_acd_attached_publishes_nothing() -> None:
    bus = EventBus()
    pump = LivePump(bus, live=lambda: None, roster=roster)
    bus.subscribe(EventFilter(tenant="a"))
    assert await pump.poll_all() == 0


async def test_a_failing_tenant_does_not_stop_the_others() -> None:
    bus, figures = EventBus(), Figures()

    async def flaky(tenant: str) -> list[RosterEntry]:
        if tenant == "a":
            raise RuntimeError("database away")
        return await roster(tenant)
    pump = LivePump(bus, live=lambda: figures, roster=flaky)
    bus.subscribe(EventFilter(tenant="a"))
    sub_b = bus.subscribe(EventFilter(tenant="b"))
    await pump.poll_all()
    figures.states[AgentRef("b", "2")] = ("ready", None)
    assert await pump.poll_all() == 1
    assert [e.agent for e in events(sub_b)] == ["2"]

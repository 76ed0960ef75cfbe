"""The live event bus: fan-out, filters, bounded buffers and the lag marker."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from control_plane.events.bus import (
    EventBus,
    EventFilter,
    EventKind,
    Lagged,
    LiveEvent,
    Subscription,
)


def ev(kind: EventKind = EventKind.AGENT_STATE, tenant: str = "a", *, agent: str | None = "1",
       queue: str | None = None, n: int = 0) -> LiveEvent:
    return LiveEvent(kind, tenant, queue=queue, agent=agent, data={"n": n})


def drain(sub: Subscription) -> list[LiveEvent | Lagged]:
    out: list[LiveEvent | Lagged] = []
    while sub.pending():
        out.append(sub._items.popleft())
    return out


async def test_every_matching_subscriber_gets_each_event_in_order() -> None:
    bus = EventBus()
    subs = [bus.subscribe(EventFilter(tenant="a")) for _ in range(3)]
    for n in range(5):
        assert bus.publish(ev(n=n)) == 3
    for sub in subs:
        got = [e.data["n"] for e in drain(sub) if isinstance(e, LiveEvent)]
        assert got == [0, 1, 2, 3, 4]
    assert bus.stats.published == 5
    assert bus.stats.delivered == 15


async def test_tenant_filter_keeps_tenants_apart_and_operator_sees_all() -> None:
    bus = EventBus()
    a, b, everyone = (bus.subscribe(EventFilter(tenant="a")),
                      bus.subscribe(EventFilter(tenant="b")),
                      bus.subscribe(EventFilter(tenant=None)))
    bus.publish(ev(tenant="a", n=1))
    bus.publish(ev(tenant="b", n=2))
    assert [e.tenant for e in drain(a) if isinstance(e, LiveEvent)] == ["a"]
    assert [e.tenant for e in drain(b) if isinstance(e, LiveEvent)] == ["b"]
    assert len(drain(everyone)) == 2


async def test_kind_agent_and_queue_filters() -> None:
    bus = EventBus()
    own = bus.subscribe(EventFilter(tenant="a", agents=frozenset({"7"}), agentless=False))
    queues = bus.subscribe(EventFilter(tenant="a", kinds=frozenset({EventKind.QUEUE_STATS}),
                                       queues=frozenset({"sales"})))
    bus.publish(ev(agent="7", n=1))
    bus.publish(ev(agent="8", n=2))
    bus.publish(ev(EventKind.QUEUE_STATS, agent=None, queue="sales", n=3))
    bus.publish(ev(EventKind.QUEUE_STATS, agent=None, queue="support", n=4))
    assert [e.data["n"] for e in drain(own) if isinstance(e, LiveEvent)] == [1]
    assert [e.data["n"] for e in drain(queues) if isinstance(e, LiveEvent)] == [3]


async def test_queueless_events_pass_a_queue_filter_only_when_asked() -> None:
    strict = EventFilter(tenant="a", queues=frozenset({"q"}), queueless=False)
    loose = EventFilter(tenant="a", queues=frozenset({"q"}))
    assert not strict.matches(ev(queue=None))
    assert loose.matches(ev(queue=None))
    assert strict.matches(ev(queue="q"))
    assert not loose.matches(ev(queue="r"))


async def test_slow_subscriber_gets_one_lag_marker_and_does_not_hold_others() -> None:
    bus = EventBus()
    slow = bus.subscribe(EventFilter(tenant="a"), maxsize=4)
    fast = bus.subscribe(EventFilter(tenant="a"), maxsize=1000)
    for n in range(10):
        bus.publish(ev(n=n))
    got = drain(slow)
    # 0..3 buffered, n=4 overflows -> [marker(5)]; 5..7 fill it again, n=8 overflows ->
    # one marker counting all 9 missed; n=9 follows it.
    assert got[0] == Lagged(9)
    assert [e.data["n"] for e in got[1:] if isinstance(e, LiveEvent)] == [9]
    assert len(got) == 2
    assert slow.dropped == 9
    assert [e.data["n"] for e in drain(fast) if isinstance(e, LiveEvent)] == list(range(10))
    # After the marker, the stream goes on with new events.
    bus.publish(ev(n=10))
    nxt = drain(slow)
    assert len(nxt) == 1 and isinstance(nxt[0], LiveEvent) and nxt[0].data["n"] == 10
    assert bus.stats.lagged == 2


async def test_lag_marker_then_events_after_it() -> None:
    bus = EventBus()
    sub = bus.subscribe(EventFilter(tenant="a"), maxsize=3)
    for n in range(4):
        bus.publish(ev(n=n))
    bus.publish(ev(n=4))
    items = drain(sub)
    assert items[0] == Lagged(4)
    assert [e.data["n"] for e in items[1:] if isinstance(e, LiveEvent)] == [4]


async def test_iteration_waits_for_events_and_ends_on_close() -> None:
    bus = EventBus()
    sub = bus.subscribe(EventFilter(tenant="a"))
    got: list[LiveEvent | Lagged] = []

    async def consume() -> None:
        async for item in sub:
            got.append(item)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    bus.publish(ev(n=1))
    await asyncio.sleep(0)
    assert len(got) == 1
    sub.close()
    await asyncio.wait_for(task, 1)
    assert bus.stats.subscribers == 0
    assert bus.publish(ev(n=2)) == 0


async def test_bus_close_ends_every_subscription() -> None:
    bus = EventBus()
    sub = bus.subscribe(EventFilter(tenant="a"))

    async def consume() -> int:
        return len([item async for item in sub])

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    bus.close()
    assert await asyncio.wait_for(task, 1) == 0
    with pytest.raises(RuntimeError):
        bus.subscribe(EventFilter(tenant="a"))


async def test_publish_threadsafe_reaches_the_loop() -> None:
    bus = EventBus()
    sub = bus.subscribe(EventFilter(tenant="a"))
    await asyncio.to_thread(bus.publish_threadsafe, ev(n=5))
    item = await asyncio.wait_for(anext(sub), 1)
    assert isinstance(item, LiveEvent) and item.data["n"] == 5


def test_event_needs_tenant_and_aware_time() -> None:
    with pytest.raises(ValueError, match="tenant"):
        LiveEvent(EventKind.CALL_ENDED, "")
    with pytest.raises(ValueError, match="timezone"):
        LiveEvent(EventKind.CALL_ENDED, "a", at=datetime(2026, 1, 1))


def test_json_shape() -> None:
    e = LiveEvent(EventKind.CALL_OFFERED, "a", queue="q", agent="3", call_id="c1",
                  data={"caller": "+8613800000000"})
    doc = e.to_json()
    assert doc["kind"] == "call.offered"
    assert doc["at"].endswith("Z")
    assert doc["data"] == {"caller": "+8613800000000"}
    assert {k for k in doc} == {"kind", "tenant", "queue", "agent", "call_id", "at", "data"}


async def test_has_subscribers_by_tenant() -> None:
    bus = EventBus()
    assert not bus.has_subscribers()
    sub = bus.subscribe(EventFilter(tenant="a"))
    assert bus.has_subscribers("a") and not bus.has_subscribers("b")
    assert bus.tenants() == {"a"}
    sub.close()
    assert not bus.has_subscribers()

"""ReplicatedAcd on the memory store: write-ahead log, reservations, fencing, takeover."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from control_plane.acd.commands import Command, OfferCall, PauseAgent, RequeueCall
from control_plane.acd.events import CallAbandoned, CallEnded, OfferAccepted, OfferRejected
from control_plane.acd.model import AgentRef, CallRef, CallState, QueueRef
from control_plane.acd_store.codec import decode_entry
from control_plane.acd_store.errors import NotOwner
from control_plane.acd_store.memory import MemoryAcdStore
from control_plane.acd_store.partition import partition_of
from control_plane.acd_store.ports import Reservation
from control_plane.acd_store.replicated import AcdTuning, ReplicatedAcd
from tests.unit.acd_store.helpers import arrive, center, login

FAST = AcdTuning(lease_ttl_s=0.3, checkpoint_every=1000, reservation_margin_s=1.0)


class Replica:
    """A ReplicatedAcd and every command it handed out."""

    def __init__(self, store: MemoryAcdStore, name: str, tuning: AcdTuning = FAST) -> None:
        self.commands: list[Command] = []
        self.acd = ReplicatedAcd(store, replica_id=name, on_command=self.commands.append,
                                 tuning=tuning)


async def _until(check: Callable[[], bool], within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_events_are_logged_before_commands_and_reservations_follow_offers() -> None:
    store = MemoryAcdStore()
    a = Replica(store, "A")
    for event in [*center(), login("t", "a1")]:
        await a.acd.apply(event)
    out = await a.acd.apply(arrive("t", "c1"))
    offer = OfferCall(CallRef("t", "c1"), AgentRef("t", "a1"), QueueRef("t", "q0"), 15.0)
    assert out.commands == (offer,) and a.commands[-1] == offer
    snap = await store.load("t")
    assert [type(decode_entry(e)[1]).__name__ for e in snap.entries][-2:] == [
        "AgentLoggedIn", "CallArrived"]
    assert await store.reserved_by("t/a1") == "t/c1"
    await a.acd.apply(OfferAccepted(CallRef("t", "c1"), AgentRef("t", "a1")))
    assert await store.reserved_by("t/a1") is None  # released on accept
    assert a.acd.owned() == ("t",)


async def test_an_agent_held_elsewhere_is_never_offered() -> None:
    store = MemoryAcdStore()
    other = await store.acquire("x", "Z", 60)
    assert other is not None
    await store.sync(other, release=[], reserve=[Reservation("t/a1", "x/held")], ttl_s=60)
    a = Replica(store, "A")
    for event in [*center(), login("t", "a1"), login("t", "a2")]:
        await a.acd.apply(event)
    out = await a.acd.apply(arrive("t", "c1"))
    offers = [c for c in a.commands if isinstance(c, OfferCall)]
    assert [o.agent.agent for o in offers] == ["a2"]  # a1 was refused, a2 offered instead
    assert any("a1 is reserved elsewhere" in n for n in out.notes)
    logged = [decode_entry(e)[1] for e in (await store.load("t")).entries]
    assert OfferRejected(CallRef("t", "c1"), AgentRef("t", "a1")) in logged
    assert await store.reserved_by("t/a1") == "x/held"


async def test_another_replica_is_told_who_owns_the_tenant() -> None:
    store = MemoryAcdStore()
    a, b = Replica(store, "A"), Replica(store, "B")
    await a.acd.apply(center()[0])
    with pytest.raises(NotOwner) as err:
        await b.acd.apply(center()[1])
    assert err.value.owner == "A" and err.value.error_id == "acd_store.not_owner"


async def test_takeover_keeps_every_queued_call_in_place() -> None:
    store = MemoryAcdStore()
    a, b = Replica(store, "A"), Replica(store, "B")
    for event in center():
        await a.acd.apply(event)
    for n in range(6):
        await a.acd.apply(arrive("t", f"c{n}", queue=f"q{n % 2}"))
    before = a.acd.live_calls("t")
    await a.acd.close(hand_over=False)  # dies: the lease stays until it expires
    await b.acd.start()
    died = time.monotonic()
    await _until(lambda: b.acd.owned() == ("t",))
    assert time.monotonic() - died < 2.0
    assert b.acd.live_calls("t") == before
    assert [v.position for v in before if v.queue == "q0"] == [1, 2, 3]
    # and it goes on: the first agent takes the head of the longest-waiting queue
    await b.acd.apply(login("t", "a1"))
    offer = next(c for c in b.commands if isinstance(c, OfferCall))
    assert offer.call == CallRef("t", "c0")
    await b.acd.close()


async def test_a_replica_that_lost_its_lease_stops_acting() -> None:
    store = MemoryAcdStore()
    a, b = Replica(store, "A"), Replica(store, "B")  # A has no watcher: it never renews
    for event in center():
        await a.acd.apply(event)
    await b.acd.start()
    await _until(lambda: b.acd.owned() == ("t",))
    with pytest.raises(NotOwner) as err:  # its lease lapsed, and B holds the tenant now
        await a.acd.apply(arrive("t", "late"))
    assert err.value.owner == "B"
    assert a.acd.owned() == ()
    logged = [decode_entry(e)[1] for e in (await store.load("t")).entries]
    assert arrive("t", "late") not in logged
    await b.acd.close()


async def test_a_lapsed_lease_nobody_took_is_claimed_again_with_a_new_epoch() -> None:
    store = MemoryAcdStore()
    a = Replica(store, "A")  # no watcher: the lease lapses
    for event in center():
        await a.acd.apply(event)
    await a.acd.apply(arrive("t", "c0"))
    await asyncio.sleep(FAST.lease_ttl_s * 1.5)
    assert await store.holder("t") is None
    await a.acd.apply(arrive("t", "c1"))
    holder = await store.holder("t")
    assert holder is not None and (holder.owner, holder.epoch) == ("A", 2)
    assert [v.call for v in a.acd.live_calls("t")] == ["c0", "c1"]
    assert (await store.load("t")).last_seq == 5


async def test_offers_in_flight_pass_to_the_new_owner_and_time_out_there() -> None:
    store = MemoryAcdStore()
    a, b = Replica(store, "A"), Replica(store, "B")
    for event in [*center(ring_timeout_s=0.6), login("t", "a1")]:
        await a.acd.apply(event)
    await a.acd.apply(arrive("t", "c1"))
    assert await store.reserved_by("t/a1") == "t/c1"
    await a.acd.close(hand_over=False)
    await b.acd.start()
    await _until(lambda: b.acd.owned() == ("t",))
    engine = b.acd.engine("t")
    assert engine is not None and engine.call_state(CallRef("t", "c1")) is CallState.OFFERED
    assert await store.reserved_by("t/a1") == "t/c1"  # adopted, not lost
    await _until(lambda: any(isinstance(c, RequeueCall) for c in b.commands))
    assert PauseAgent(AgentRef("t", "a1"), "no_answer") in b.commands  # B's timer fired
    await _until(lambda: b.acd.live_calls("t")[0].state is CallState.QUEUED)
    assert await store.reserved_by("t/a1") is None
    await b.acd.close()


async def test_checkpoints_bound_what_a_takeover_replays() -> None:
    store = MemoryAcdStore()
    tuning = AcdTuning(lease_ttl_s=0.3, checkpoint_every=5)
    a, b = Replica(store, "A", tuning), Replica(store, "B", tuning)
    for event in center():
        await a.acd.apply(event)
    for n in range(9):
        await a.acd.apply(arrive("t", f"c{n}"))
    snap = await store.load("t")
    assert snap.checkpoint is not None and snap.last_seq == 12 and len(snap.entries) < 5
    before = a.acd.live_calls("t")
    await a.acd.close()  # graceful: hands over at once
    await b.acd.apply(arrive("t", "c9"))
    assert b.acd.live_calls("t")[:9] == before
    await b.acd.close()


def test_partition_of_events() -> None:
    assert [partition_of(e) for e in center("acme")] == ["acme"] * 3
    assert partition_of(login("x", "a")) == "x"
    assert partition_of(arrive("y", "c")) == "y"


async def test_reservations_are_released_on_reject_abandon_and_end() -> None:
    store = MemoryAcdStore()
    a = Replica(store, "A")
    agent1, agent2 = AgentRef("t", "a1"), AgentRef("t", "a2")
    for event in [*center(), login("t", "a1")]:
        await a.acd.apply(event)
    await a.acd.apply(arrive("t", "c1"))
    assert await store.reserved_by("t/a1") == "t/c1"
    await a.acd.apply(OfferRejected(CallRef("t", "c1"), agent1))
    assert await store.reserved_by("t/a1") is None  # declined: free again
    await a.acd.apply(login("t", "a2"))  # c1 goes to a2 now
    assert await store.reserved_by("t/a2") == "t/c1"
    await a.acd.apply(CallAbandoned(CallRef("t", "c1")))
    assert await store.reserved_by("t/a2") is None  # caller left while it rang
    await a.acd.apply(arrive("t", "c2"))
    holder = await store.reserved_by("t/a1") or await store.reserved_by("t/a2")
    assert holder == "t/c2"
    offered = next(c for c in reversed(a.commands) if isinstance(c, OfferCall))
    await a.acd.apply(OfferAccepted(CallRef("t", "c2"), offered.agent))
    await a.acd.apply(CallEnded(CallRef("t", "c2")))
    assert {await store.reserved_by("t/a1"), await store.reserved_by("t/a2")} == {None}
    assert offered.agent in (agent1, agent2)

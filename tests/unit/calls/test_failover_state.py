"""Controller failover, pure parts and in-memory stores: snapshots round-trip, the Contact
names the session, the journal replays to the same ACD, the keeper keeps the newest."""

from __future__ import annotations

import asyncio
import random

import pytest

from control_plane.acd.engine import Engine
from control_plane.acd.model import CallRef, CallState
from control_plane.acd_store.memory import MemoryAcdStore
from control_plane.acd_store.partition import replay, seed_for
from control_plane.calls.failover.contact import PREFIX, session_key, shared_contact
from control_plane.calls.failover.journal import JournaledDriver
from control_plane.calls.failover.snapshot import (
    DialogSnapshot,
    SessionSnapshot,
    SnapshotError,
    record_data,
    record_of,
)
from control_plane.calls.failover.store import MemorySessionStore
from control_plane.calls.records import CallRecord
from control_plane.sipstack.dialog import Dialog, DialogState
from control_plane.sipstack.headers import parse_address
from control_plane.sipstack.uri import SipUri, parse_uri
from tests.unit.acd_store.helpers import arrive, center, login


def _dialog() -> Dialog:
    return Dialog(
        call_id="abc@10.0.0.1", local_tag="ours", remote_tag="theirs",
        local_uri=parse_address("<sip:4008000001@cc.local>", "to"),
        remote_uri=parse_address('"Li" <sip:13800001111@pstn.example>', "from"),
        remote_target=parse_uri("sip:caller@127.0.40.2:5060", "target"),
        route_set=(parse_address("<sip:127.0.30.1:5060;lr>", "rr"),
                   parse_address("<sip:core.cc.local;lr>", "rr")),
        local_seq=7, remote_seq=2, state=DialogState.CONFIRMED)


def _snapshot(**changes: object) -> SessionSnapshot:
    record = CallRecord(call_id="abc@10.0.0.1", tenant="acme", did="4008000001",
                        caller="13800001111", started_at=100.0)
    record.queued("sales", 101.0)
    record.offer("alice", "no_answer", 487)
    record.ivr("menu", "digit", "1", 100.5)
    fields: dict[str, object] = dict(
        call_id="abc@10.0.0.1", acd_call="abc@10.0.0.1", caller_tag="theirs",
        far_tag="ours", caller="13800001111", number="4008000001", tenant="acme",
        flow="main", queue=None, phase="queued", language="zh", caller_sdp="v=0\r\n",
        caller_answer_sdp="v=0\r\n", media_created=True, recording=False,
        acd_connected=False, on_hold=False, hold_since=0.0, segment=0, callback=False,
        caller_dialog=DialogSnapshot.of(_dialog()), agent_leg=None,
        record=record_data(record), owner="cp-1", saved_at=102.0)
    fields.update(changes)
    return SessionSnapshot(**fields)  # type: ignore[arg-type]


def test_a_dialog_comes_back_with_its_route_set_and_a_cseq_ahead() -> None:
    original = _dialog()
    back = DialogSnapshot.of(original).restore()
    assert back.id == original.id
    assert [str(a) for a in back.route_set] == [str(a) for a in original.route_set]
    assert str(back.remote_target) == str(original.remote_target)
    assert back.remote_seq == 2 and back.local_seq > original.local_seq
    assert back.next_hop() == original.next_hop()


def test_a_session_snapshot_round_trips_through_bytes() -> None:
    snap = _snapshot()
    back = SessionSnapshot.decode(snap.encode())
    assert back.encode() == snap.encode()
    assert back.caller_dialog == snap.caller_dialog and back.phase == "queued"
    record = record_of(back.record)
    assert record == record_of(snap.record)
    assert record.queue == "sales" and record.offers[0].agent == "alice"
    assert record.ivr_steps == [("menu", "digit", "1", 100.5)]


@pytest.mark.parametrize("blob", [b"not json", b'{"format": 99}', b'{"format": 1}'])
def test_an_unreadable_snapshot_says_why(blob: bytes) -> None:
    with pytest.raises(SnapshotError):
        SessionSnapshot.decode(blob)


def test_the_contact_names_the_core_pair_the_session_and_the_replica() -> None:
    contact = shared_contact(core_host="core.cc.local", replica=("127.0.0.2", 5080))
    uri = contact("abc@10.0.0.1")
    assert isinstance(uri, SipUri) and uri.host == "core.cc.local"
    assert uri.user == PREFIX + session_key("abc@10.0.0.1")
    assert uri.params.get("ctl") == "127.0.0.2:5080"
    assert parse_uri(str(uri)) == uri  # what the cores send back parses
    assert session_key("abc@10.0.0.1") != session_key("abd@10.0.0.1")


async def test_the_journal_replays_to_the_same_acd() -> None:
    store = MemoryAcdStore()
    lease = await store.acquire("center", "cp-1", 30)
    assert lease is not None
    rng = random.Random(seed_for("center"))
    commands: list[object] = []
    clock = iter(float(t) for t in range(1000, 2000))
    driver = JournaledDriver(Engine(rng), store=store, lease=lease, seq=0, rng=rng,
                             on_command=commands.append, clock=lambda: next(clock),
                             checkpoint_every=3)
    driver.start()
    for event in [*center("acme"), login("acme", "a1"), arrive("acme", "c1"),
                  arrive("acme", "c2")]:
        driver.apply(event)
    assert await driver.flush() and driver.backlog == 0
    engine, _ = replay(await store.load("center"), "center")
    assert _view(engine) == _view(driver.engine)
    assert engine.state.calls[CallRef("acme", "c1")].state is CallState.OFFERED
    assert commands  # the offer went out while the log was written behind it
    driver.close()


def _view(engine: Engine) -> tuple[object, ...]:
    st = engine.state
    calls = sorted((c.ref.call, c.state.value, c.arrived_at, engine.position(c.ref))
                   for c in st.calls.values())
    agents = sorted((a.ref.agent, a.state.value, a.offer) for a in st.agents.values())
    return tuple(calls), tuple(agents), st.now


async def test_a_fenced_journal_stops_and_says_so() -> None:
    store = MemoryAcdStore()
    old = await store.acquire("center", "cp-1", 0.01)
    assert old is not None
    lost: list[bool] = []
    rng = random.Random(1)
    driver = JournaledDriver(Engine(rng), store=store, lease=old, seq=0, rng=rng,
                             on_command=lambda c: None, on_lease_lost=lambda: lost.append(True))
    driver.start()
    await asyncio.sleep(0.05)
    assert await store.acquire("center", "cp-2", 30) is not None  # the standby took it
    driver.apply(center("acme")[0])
    await driver.flush(timeout_s=1.0)
    assert driver.lost and lost == [True]
    driver.close()


async def test_the_memory_session_store_keeps_the_newest_and_forgets_ended_calls() -> None:
    store = MemorySessionStore()
    await store.put("a", b"1")
    await store.put("a", b"2")
    await store.put("b", b"3")
    await store.drop("b")
    assert await store.load_all() == {"a": b"2"}


async def test_a_journal_rebound_after_a_lapse_loses_nothing() -> None:
    store = MemoryAcdStore()
    old = await store.acquire("center", "cp-1", 0.05)
    assert old is not None
    rng = random.Random(seed_for("center"))
    driver = JournaledDriver(Engine(rng), store=store, lease=old, seq=0, rng=rng,
                             on_command=lambda c: None, retry_s=0.01)
    driver.start()
    for event in center("acme"):
        driver.apply(event)
    assert await driver.flush()
    await asyncio.sleep(0.1)  # the lease lapses (a store outage longer than its TTL)
    driver.apply(login("acme", "a1"))
    await asyncio.sleep(0.05)
    assert driver.lost and driver.backlog == 1  # kept, not dropped
    again = await store.acquire("center", "cp-1", 30)
    assert again is not None
    await driver.rebind(again, (await store.load("center")).last_seq)
    assert await driver.flush() and not driver.lost
    engine, _ = replay(await store.load("center"), "center")
    assert _view(engine) == _view(driver.engine)
    driver.close()


async def test_a_store_that_came_back_empty_gets_our_state_as_a_checkpoint() -> None:
    first = MemoryAcdStore()
    lease = await first.acquire("center", "cp-1", 30)
    assert lease is not None
    rng = random.Random(seed_for("center"))
    driver = JournaledDriver(Engine(rng), store=first, lease=lease, seq=0, rng=rng,
                             on_command=lambda c: None, retry_s=0.01)
    driver.start()
    for event in [*center("acme"), login("acme", "a1"), arrive("acme", "c1")]:
        driver.apply(event)
    assert await driver.flush() and driver.seq > 0
    empty = MemoryAcdStore()  # Redis restarted without its data
    driver.store = empty
    fresh = await empty.acquire("center", "cp-1", 30)
    assert fresh is not None
    await driver.rebind(fresh, 0)
    driver.apply(arrive("acme", "c2"))
    assert await driver.flush()
    engine, _ = replay(await empty.load("center"), "center")
    assert _view(engine) == _view(driver.engine)
    driver.close()

"""The memory adapter: leases expire and fence, the log compacts, reservations exclude."""

from __future__ import annotations

import pytest

from control_plane.acd_store.errors import BadInput, LeaseLost, LogConflict
from control_plane.acd_store.memory import MemoryAcdStore
from control_plane.acd_store.ports import Reservation


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> MemoryAcdStore:
    return MemoryAcdStore(clock)


async def test_lease_is_exclusive_until_it_expires(store: MemoryAcdStore, clock: Clock) -> None:
    a = await store.acquire("t", "A", 3.0)
    assert a is not None and a.epoch == 1
    assert await store.acquire("t", "B", 3.0) is None
    clock.t += 2.9
    assert await store.renew(a, 3.0)
    clock.t += 2.9
    assert await store.acquire("t", "B", 3.0) is None  # renewed: still A's
    clock.t += 3.1
    assert await store.holder("t") is None
    assert not await store.renew(a, 3.0)  # expired: renewal cannot revive it
    b = await store.acquire("t", "B", 3.0)
    assert b is not None and b.epoch == 2 and await store.holder("t") == b
    assert await store.partitions() == ("t",)


async def test_a_stale_lease_cannot_write(store: MemoryAcdStore, clock: Clock) -> None:
    a = await store.acquire("t", "A", 3.0)
    assert a is not None
    assert await store.append(a, [b"1"], after=0) == 1
    clock.t += 4
    b = await store.acquire("t", "B", 3.0)
    assert b is not None
    for write in (store.append(a, [b"2"], after=1), store.checkpoint(a, 1, b"x"),
                  store.sync(a, release=[], reserve=[Reservation("t/x", "t/c")], ttl_s=5)):
        with pytest.raises(LeaseLost) as err:
            await write
        assert err.value.error_id == "acd_store.lease_lost"
    assert (await store.load("t")).entries == (b"1",)


async def test_expired_lease_fences_even_before_takeover(store: MemoryAcdStore,
                                                         clock: Clock) -> None:
    a = await store.acquire("t", "A", 1.0)
    assert a is not None
    clock.t += 1.5
    with pytest.raises(LeaseLost):
        await store.append(a, [b"late"], after=0)


async def test_reacquire_by_same_owner_gets_new_epoch(store: MemoryAcdStore) -> None:
    first = await store.acquire("t", "A", 3.0)
    second = await store.acquire("t", "A", 3.0)
    assert first is not None and second is not None and second.epoch == first.epoch + 1
    with pytest.raises(LeaseLost):
        await store.append(first, [b"x"], after=0)  # the old incarnation is fenced
    await store.release(first)  # a stale release changes nothing
    assert await store.holder("t") == second
    await store.release(second)
    assert await store.holder("t") is None


async def test_append_names_the_entry_it_follows(store: MemoryAcdStore) -> None:
    lease = await store.acquire("t", "A", 3.0)
    assert lease is not None
    assert await store.append(lease, [b"1", b"2"], after=0) == 2
    with pytest.raises(LogConflict) as err:
        await store.append(lease, [b"2 again"], after=1)  # a retried write cannot land twice
    assert err.value.error_id == "acd_store.log_conflict"
    assert await store.append(lease, [b"3"], after=2) == 3


async def test_checkpoint_compacts_and_tail_reports_the_gap(store: MemoryAcdStore) -> None:
    lease = await store.acquire("t", "A", 3.0)
    assert lease is not None
    await store.append(lease, [b"1", b"2", b"3"], after=0)
    await store.checkpoint(lease, 2, b"state@2")
    snap = await store.load("t")
    assert (snap.checkpoint, snap.checkpoint_seq, snap.entries, snap.last_seq) == (
        b"state@2", 2, (b"3",), 3)
    assert await store.tail("t", 2) == (b"3",)
    assert await store.tail("t", 3) == ()
    assert await store.tail("t", 1) is None  # compacted away: load the checkpoint
    with pytest.raises(BadInput):
        await store.checkpoint(lease, 9, b"beyond the log")
    assert await store.append(lease, [b"4"], after=3) == 4


async def test_reservation_is_exclusive_and_expires(store: MemoryAcdStore, clock: Clock) -> None:
    p1 = await store.acquire("p1", "A", 60)
    p2 = await store.acquire("p2", "B", 60)
    assert p1 is not None and p2 is not None
    mine, theirs = Reservation("agent", "call-1"), Reservation("agent", "call-2")
    assert await store.sync(p1, release=[], reserve=[mine], ttl_s=5) == (True,)
    assert await store.sync(p2, release=[], reserve=[theirs], ttl_s=5) == (False,)
    assert await store.sync(p1, release=[], reserve=[mine], ttl_s=5) == (True,)  # renewal
    assert await store.reserved_by("agent") == "call-1"
    # a release by the wrong holder does nothing; by the right one frees the agent
    assert await store.sync(p2, release=[theirs], reserve=[theirs], ttl_s=5) == (False,)
    assert await store.sync(p2, release=[mine], reserve=[theirs], ttl_s=5) == (True,)
    clock.t += 5.1
    assert await store.reserved_by("agent") is None  # expired
    assert await store.sync(p1, release=[], reserve=[mine], ttl_s=5) == (True,)


@pytest.mark.parametrize("bad", ["", "a|b", "x\ny", "z" * 201])
async def test_bad_ids_are_refused(store: MemoryAcdStore, bad: str) -> None:
    with pytest.raises(BadInput) as err:
        await store.acquire(bad, "A", 3)
    assert err.value.error_id == "acd_store.bad_input"
    with pytest.raises(BadInput):
        await store.acquire("t", bad, 3)


async def test_bad_ttl_is_refused(store: MemoryAcdStore) -> None:
    with pytest.raises(BadInput):
        await store.acquire("t", "A", 0)

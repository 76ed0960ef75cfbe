"""The Redis adapter keeps the memory adapter's contract against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from control_plane.acd_store.errors import BadInput, LeaseLost, LogConflict, StoreUnavailable
from control_plane.acd_store.ports import Reservation
from control_plane.acd_store.redis_store import RedisAcdStore
from tests.redis_server import RedisServer


@pytest.fixture
async def store(redis: RedisServer) -> AsyncIterator[RedisAcdStore]:
    s = RedisAcdStore.from_url(redis.url, namespace="test")
    yield s
    await s.close()


async def test_lease_expires_and_fences(store: RedisAcdStore) -> None:
    a = await store.acquire("t", "A", 0.3)
    assert a is not None and a.epoch == 1
    assert await store.acquire("t", "B", 0.3) is None
    assert await store.renew(a, 0.3)
    assert await store.append(a, [b"1"], after=0) == 1
    await asyncio.sleep(0.45)
    assert await store.holder("t") is None
    with pytest.raises(LeaseLost):  # expired, nobody took it yet: still fenced
        await store.append(a, [b"2"], after=1)
    b = await store.acquire("t", "B", 5)
    assert b is not None and b.epoch == 2 and await store.holder("t") == b
    assert not await store.renew(a, 5)
    for write in (store.append(a, [b"2"], after=1), store.checkpoint(a, 1, b"x"),
                  store.sync(a, release=[], reserve=[Reservation("t/x", "t/c")], ttl_s=5)):
        with pytest.raises(LeaseLost):
            await write
    await store.release(a)  # stale: no effect
    assert await store.holder("t") == b
    assert await store.partitions() == ("t",)


async def test_log_append_checkpoint_tail(store: RedisAcdStore) -> None:
    lease = await store.acquire("t", "A", 5)
    assert lease is not None
    assert await store.append(lease, [b"1", b"\x00\xff binary"], after=0) == 2
    with pytest.raises(LogConflict):
        await store.append(lease, [b"dup"], after=1)
    await store.append(lease, [b"3"], after=2)
    await store.checkpoint(lease, 2, b"state@2\x00")
    snap = await store.load("t")
    assert (snap.checkpoint, snap.checkpoint_seq, snap.entries) == (b"state@2\x00", 2, (b"3",))
    assert await store.tail("t", 2) == (b"3",) and await store.tail("t", 3) == ()
    assert await store.tail("t", 1) is None
    with pytest.raises(BadInput):
        await store.checkpoint(lease, 7, b"beyond")
    empty = await store.load("other")
    assert (empty.checkpoint, empty.last_seq) == (None, 0)


async def test_reservations_exclusive_renewable_releasable(store: RedisAcdStore) -> None:
    p1, p2 = await store.acquire("p1", "A", 30), await store.acquire("p2", "B", 30)
    assert p1 is not None and p2 is not None
    mine, theirs = Reservation("agent", "c1"), Reservation("agent", "c2")
    free = Reservation("other", "c2")
    assert await store.sync(p1, release=[], reserve=[mine], ttl_s=0.3) == (True,)
    assert await store.sync(p2, release=[], reserve=[theirs, free], ttl_s=5) == (False, True)
    assert await store.sync(p2, release=[theirs], reserve=[theirs], ttl_s=5) == (False,)
    assert await store.reserved_by("agent") == "c1"
    await asyncio.sleep(0.45)  # expired
    assert await store.sync(p2, release=[], reserve=[theirs], ttl_s=5) == (True,)
    assert await store.sync(p2, release=[theirs], reserve=[], ttl_s=5) == ()
    assert await store.reserved_by("agent") is None


async def test_unreachable_redis_is_store_unavailable(redis: RedisServer) -> None:
    store = RedisAcdStore.from_url(redis.url, timeout_s=0.3)
    lease = await store.acquire("t", "A", 5)
    assert lease is not None
    redis.kill()
    for op in (store.holder("t"), store.append(lease, [b"x"], after=0), store.load("t")):
        with pytest.raises(StoreUnavailable) as err:
            await op
        assert err.value.error_id == "acd_store.unavailable" and err.value.http_status == 503
    redis.start()
    assert await store.holder("t") == lease  # AOF kept it; the client reconnects by itself
    await store.close()

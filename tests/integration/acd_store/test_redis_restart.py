"""Redis killed mid-run: events fail with the 503-style error, the replica recovers by
itself when Redis is back, and no acknowledged event is lost."""

from __future__ import annotations

import asyncio

from control_plane.acd.commands import Command
from control_plane.acd.model import CallRef, CallState
from control_plane.acd_store.errors import StoreUnavailable
from control_plane.acd_store.partition import replay
from control_plane.acd_store.redis_store import RedisAcdStore
from control_plane.acd_store.replicated import AcdTuning, ReplicatedAcd
from tests.redis_server import RedisServer
from tests.unit.acd_store.helpers import arrive, center


async def test_redis_restart_loses_no_acknowledged_event(redis: RedisServer) -> None:
    store = RedisAcdStore.from_url(redis.url, timeout_s=0.5)
    commands: list[Command] = []
    acd = ReplicatedAcd(store, replica_id="A", on_command=commands.append,
                        tuning=AcdTuning(lease_ttl_s=1.0, checkpoint_every=25))
    await acd.start()
    for event in center():
        await acd.apply(event)
    acked: list[int] = []
    failed: list[int] = []
    errors: set[str] = set()
    for n in range(150):
        if n == 50:
            redis.kill()  # a crash: only what was fsynced survives
        if n == 80:
            redis.start()  # same port, same append-only file
        try:
            await acd.apply(arrive("t", f"c{n}"))
            acked.append(n)
        except StoreUnavailable as exc:
            failed.append(n)
            errors.add(exc.error_id)
            await asyncio.sleep(0.05)
    assert errors == {"acd_store.unavailable"}
    assert set(range(50)) <= set(acked) and set(range(50, 80)) <= set(failed)
    assert acked[-1] == 149 and len(failed) < 40  # recovered by itself, soon after

    # every acknowledged call is in the log, in order, with nothing from the outage
    fresh = RedisAcdStore.from_url(redis.url)
    engine, _ = replay(await fresh.load("t"), "t")
    present = [n for n in range(150)
               if engine.call_state(CallRef("t", f"c{n}")) is CallState.QUEUED]
    assert present == acked
    positions = [engine.position(CallRef("t", f"c{n}")) for n in acked]
    assert positions == list(range(1, len(acked) + 1))
    # and the replica's own engine equals the fold of the log
    assert [v.call for v in acd.live_calls("t")] == [f"c{n}" for n in acked]
    await acd.close()
    await fresh.close()
    await store.close()

"""One process hammering agent reservations: `python -m tests.integration.acd_store.hammer_child
--redis URL --partition p1 --ops 1500`.

Each worker reserves a random agent of a shared pool for a fresh holder; while it holds one,
it counts itself into a per-agent probe counter (INCR, must give 1) and out again (DECR)
before releasing. Two holders of one agent at once show up as a probe above 1. `--naive`
reserves by GET-then-SET instead of the adapter's atomic script: the detector's own check
(it must find violations there). Prints one JSON line of counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from typing import Any

import redis.asyncio as aioredis

from control_plane.acd_store.ports import Lease, Reservation
from control_plane.acd_store.redis_store import RedisAcdStore


async def _worker(store: RedisAcdStore, probe: aioredis.Redis, lease: Lease, *, name: str,
                  ops: int, agents: int, naive: bool, counts: dict[str, int]) -> None:
    rng = random.Random(name)
    for n in range(ops):
        agent = f"agent{rng.randrange(agents)}"
        item = Reservation(agent, f"{name}-{n}")
        if naive:
            key = f"acd:resv:{agent}"
            ok = await probe.get(key) is None
            await probe.ping()  # the window between check and set a real client has
            if ok:
                await probe.set(key, item.holder, px=5000)
        else:
            (ok,) = await store.sync(lease, release=[], reserve=[item], ttl_s=5)
        if not ok:
            counts["refused"] += 1
            continue
        counts["granted"] += 1
        if int(await probe.incr(f"probe:{agent}")) != 1:
            counts["violations"] += 1
        await asyncio.sleep(0)
        await probe.decr(f"probe:{agent}")
        if naive:
            await probe.delete(f"acd:resv:{agent}")
        else:
            await store.sync(lease, release=[item], reserve=[], ttl_s=5)


async def run(url: str, partition: str, *, ops: int, agents: int, workers: int,
              naive: bool) -> dict[str, Any]:
    """Hammer and count."""
    store = RedisAcdStore.from_url(url, timeout_s=5)
    probe = aioredis.Redis.from_url(url)
    lease = await store.acquire(partition, partition, 60)
    assert lease is not None
    counts = {"granted": 0, "refused": 0, "violations": 0}
    await asyncio.gather(*(
        _worker(store, probe, lease, name=f"{partition}w{i}", ops=ops, agents=agents,
                naive=naive, counts=counts) for i in range(workers)))
    await store.close()
    await probe.aclose()
    return counts


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--partition", required=True)
    parser.add_argument("--ops", type=int, default=1500)
    parser.add_argument("--agents", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()
    counts = asyncio.run(run(args.redis, args.partition, ops=args.ops, agents=args.agents,
                             workers=args.workers, naive=args.naive))
    print(json.dumps(counts))


if __name__ == "__main__":
    main()

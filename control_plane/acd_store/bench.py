"""How fast one replica applies events through its store, and how long a takeover replays.

    python -m control_plane.acd_store.bench [--redis redis://127.0.0.1:6379/0] [--calls 2000]

Runs calls through one tenant (arrive, offer, accept, end) on the memory store and, with
`--redis`, on Redis; prints one JSON line per store: events/s, apply latency p50/p99 (ms),
checkpoint size and the time a taking-over replica needs to load and replay the partition.
Not a test: figures for the closing note. Use a scratch Redis (it writes under `bench:`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from control_plane.acd.commands import Command, OfferCall
from control_plane.acd.events import (
    AgentLoggedIn,
    CallArrived,
    CallEnded,
    OfferAccepted,
    QueueUpserted,
    TenantUpserted,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    QueueConfig,
    SkillRequirement,
    TenantConfig,
)
from control_plane.acd_store.memory import MemoryAcdStore
from control_plane.acd_store.partition import replay
from control_plane.acd_store.ports import AcdStore
from control_plane.acd_store.replicated import AcdTuning, ReplicatedAcd


async def measure(store: AcdStore, *, calls: int, agents: int, checkpoint_every: int,
                  tenant: str) -> dict[str, Any]:
    """Drive the workload and time it."""
    offers: list[OfferCall] = []

    def on_command(command: Command) -> None:
        if isinstance(command, OfferCall):
            offers.append(command)

    acd = ReplicatedAcd(store, replica_id="bench",
                        on_command=on_command,
                        tuning=AcdTuning(checkpoint_every=checkpoint_every))
    await acd.start()
    latencies: list[float] = []

    async def timed(event: Any) -> None:
        started = time.perf_counter()
        await acd.apply(event)
        latencies.append(time.perf_counter() - started)

    await timed(TenantUpserted(TenantConfig(tenant, frozenset({"s"}))))
    await timed(QueueUpserted(QueueConfig(tenant, "q", (SkillRequirement("s"),))))
    for n in range(agents):
        await timed(AgentLoggedIn(AgentRef(tenant, f"a{n}"), AgentProfile({"s": 3})))
    started = time.perf_counter()
    for n in range(calls):
        call = CallRef(tenant, f"c{n}")
        await timed(CallArrived(call, "q"))
        while offers:
            offer = offers.pop(0)
            await timed(OfferAccepted(offer.call, offer.agent))
            await timed(CallEnded(offer.call))
    elapsed = time.perf_counter() - started
    await acd.close(hand_over=False)  # as if killed: the next owner replays the tail
    loaded = time.perf_counter()
    snapshot = await store.load(tenant)
    replay(snapshot, tenant)
    takeover = time.perf_counter() - loaded
    latencies.sort()
    return {
        "events": len(latencies), "events_per_s": round(len(latencies) / elapsed),
        "apply_p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
        "apply_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
        "checkpoint_bytes": len(snapshot.checkpoint or b""),
        "replayed_entries": len(snapshot.entries),
        "takeover_load_replay_ms": round(takeover * 1000, 1),
    }


async def main_async(args: argparse.Namespace) -> None:
    """Memory, then Redis if given."""
    stores: list[tuple[str, AcdStore]] = [("memory", MemoryAcdStore())]
    if args.redis:
        from control_plane.acd_store.redis_store import RedisAcdStore

        stores.append(("redis", RedisAcdStore.from_url(args.redis, namespace="bench")))
    for name, store in stores:
        figures = await measure(store, calls=args.calls, agents=args.agents,
                                checkpoint_every=args.checkpoint_every,
                                tenant=f"bench-{uuid.uuid4().hex[:8]}")
        print(json.dumps({"store": name, **figures}))
        await store.close()


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="Replicated ACD store figures.")
    parser.add_argument("--redis", help="redis://host:port/db (a scratch server)")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--checkpoint-every", type=int, default=500)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()

"""One ACD replica on Redis, driven over stdin/stdout.

    python -m control_plane.acd_store.replica_demo --redis redis://127.0.0.1:6379/0 --replica A


Each stdin line is a JSON request with an `id`; each answer is one stdout line with the same
`id`. Requests: `{"op": "apply", "event": <tagged event>}` (events in the codec's tagged
form), `{"op": "calls", "tenant": t}` (the owner's live calls in queue order with arrival
times), `{"op": "owned"}`. Unsolicited lines report ownership changes
(`{"note": "ownership", ...}`) and every command handed out (`{"note": "command", ...}`).
Used by the multi-replica tests and to try failover by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from control_plane.acd.commands import Command
from control_plane.acd_store.codec import decode_event, encode_value
from control_plane.acd_store.errors import AcdStoreError
from control_plane.acd_store.redis_store import RedisAcdStore
from control_plane.acd_store.replicated import AcdTuning, ReplicatedAcd
from control_plane.runtime.logs import configure_logging


def _emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _answer(acd: ReplicatedAcd, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "apply":
        outcome = await acd.apply(decode_event(request.get("event")))
        return {"commands": [encode_value(c) for c in outcome.commands],
                "rejection": None if outcome.rejection is None else outcome.rejection.reason}
    if op == "calls":
        tenant = str(request.get("tenant"))
        calls = [[v.queue, v.call, v.state.value, v.position, v.arrived_at]
                 for v in acd.live_calls(tenant)]
        return {"owned": tenant in acd.owned(), "calls": calls}
    if op == "owned":
        return {"owned": list(acd.owned())}
    raise ValueError(f"unknown op {op!r}")


async def serve(url: str, replica: str, tuning: AcdTuning) -> None:
    """Run the replica until stdin closes."""
    store = RedisAcdStore.from_url(url, timeout_s=0.5)

    def on_command(command: Command) -> None:
        _emit({"note": "command", "replica": replica, "command": encode_value(command)})

    def on_ownership(partition: str, held: bool) -> None:
        _emit({"note": "ownership", "replica": replica, "partition": partition,
               "held": held, "at": time.time()})

    acd = ReplicatedAcd(store, replica_id=replica, on_command=on_command,
                        on_ownership=on_ownership, tuning=tuning)
    await acd.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _emit({"note": "ready", "replica": replica})
    try:
        while line := await reader.readline():
            request = json.loads(line)
            reply: dict[str, Any] = {"id": request.get("id")}
            try:
                reply |= {"ok": True} | await _answer(acd, request)
            except AcdStoreError as exc:
                reply |= {"ok": False, "error": exc.error_id, "message": exc.message}
            except (ValueError, TypeError) as exc:
                reply |= {"ok": False, "error": "demo.bad_request", "message": str(exc)}
            _emit(reply)
    finally:
        await acd.close()
        await store.close()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="One ACD replica on Redis (stdin/stdout).")
    parser.add_argument("--redis", required=True, help="redis://host:port/db")
    parser.add_argument("--replica", required=True, help="this replica's id")
    parser.add_argument("--lease-ttl", type=float, default=2.0, help="lease TTL in seconds")
    parser.add_argument("--checkpoint-every", type=int, default=50)
    args = parser.parse_args(argv)
    configure_logging()  # JSON lines on stderr: stdout carries the protocol
    tuning = AcdTuning(lease_ttl_s=args.lease_ttl, checkpoint_every=args.checkpoint_every)
    asyncio.run(serve(args.redis, args.replica, tuning))


if __name__ == "__main__":
    main()

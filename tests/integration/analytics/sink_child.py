"""A writer process for the kill -9 tests: emits numbered events and reports acknowledgements.

``write``: emit ``--count`` queue_calls events in chunks, printing ``ACK <n>`` once events
0..n-1 are acknowledged; with ``--hold-after-insert`` the first batch's insert is followed by
``INSERTED`` and a hang (the parent kills it there, before the checkpoint moves).
With ``--announce-insert`` it prints ``INSERTING`` as each batch's inserts start.
``replay``: open the same spool, drain it, and print one JSON line describing the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from analytics.sink.backend import AnalyticsBackend
from analytics.sink.writer import EventSink

T0 = 1_700_000_000


def event(n: int) -> dict[str, object]:
    """The n-th test event (deterministic, so a replay could be compared)."""
    return {
        "event_id": f"e{n:08d}", "tenant": "t1", "queue": f"q{n % 3}", "call_id": f"c{n}",
        "enqueued_at": T0 + n, "outcome": "answered" if n % 4 else "abandoned",
        "wait_ms": (n * 37) % 90_000, "talk_ms": 60_000, "agent": f"a{n % 5}",
    }


def columns(numbers: range) -> dict[str, list[object]]:
    """The same events as ``event`` for each number, as one column block."""
    rows = [event(n) for n in numbers]
    return {name: [row[name] for row in rows] for name in rows[0]}


def _backend(args: argparse.Namespace) -> AnalyticsBackend:
    if args.backend == "chdb":
        from analytics.sink.backends.chdb_backend import ChdbBackend

        return ChdbBackend(args.chdb_path, database=args.database)
    from analytics.sink.backends.clickhouse_backend import ClickHouseBackend

    return ClickHouseBackend(args.host, args.port, database=args.database)


def say(line: str) -> None:
    """One whole line per write: the flusher thread prints too, lines must not interleave."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _hold(point: str) -> None:
    if point == "inserted":
        say("INSERTED")
        time.sleep(3600)


def _announce(point: str) -> None:
    if point == "inserting":
        say("INSERTING")


async def write(args: argparse.Namespace) -> None:
    """Emit events and report acknowledgements."""
    hook = _hold if args.hold_after_insert else _announce if args.announce_insert else None
    sink = EventSink(_backend(args), Path(args.spool), fault_hook=hook)
    await sink.start()
    chunk = 500
    for first in range(0, args.count, chunk):
        last = min(first + chunk, args.count)
        if args.blocks:
            await sink.emit_block("queue_calls", columns(range(first, last)))
        else:
            await sink.emit_many(("queue_calls", event(n)) for n in range(first, last))
        say(f"ACK {last}")
    say("DONE")
    await asyncio.sleep(3600)


async def replay(args: argparse.Namespace) -> None:
    """Drain what a killed writer left, then describe the table."""
    backend = _backend(args)
    sink = EventSink(backend, Path(args.spool))
    await sink.start()
    await sink.flush(within_s=60)
    await sink.close()
    db = backend.database
    count, distinct = backend.query(
        f"SELECT count(), uniqExact(event_id) FROM {db}.queue_calls")[0]
    offered = backend.query(f"SELECT sumMerge(offered) FROM {db}.agent_15m")[0][0]
    per_queue = backend.query(f"SELECT sumMerge(offered) FROM {db}.queue_15m")[0][0]
    ids = [str(r[0]) for r in backend.query(f"SELECT event_id FROM {db}.queue_calls")]
    say(json.dumps({"count": int(str(count)), "distinct": int(str(distinct)),
                    "offered": int(str(offered)), "offered_per_queue": int(str(per_queue)),
                    "ids": ids,
                    "rollup_keys_repaired": sink.stats.rollup_keys_repaired}))
    backend.close()


def main() -> None:
    """Parse arguments and run one mode."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["write", "replay"])
    parser.add_argument("--backend", choices=["chdb", "server"], required=True)
    parser.add_argument("--chdb-path", default="")
    parser.add_argument("--host", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database", required=True)
    parser.add_argument("--spool", required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--hold-after-insert", action="store_true")
    parser.add_argument("--announce-insert", action="store_true")
    parser.add_argument("--blocks", action="store_true", help="emit column blocks")
    args = parser.parse_args()
    asyncio.run(write(args) if args.mode == "write" else replay(args))
    sys.exit(0)


if __name__ == "__main__":
    main()

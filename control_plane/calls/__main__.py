"""Run one call controller on its own (no API): ``python -m control_plane.calls``.

A controller-only replica for a center whose API runs elsewhere, and what the failover
tests kill with -9. Records go to a JSON-lines file; with ``--redis`` the replica serves the
center active/standby with the others (control_plane/calls/failover). It writes
``<state-file>`` ("standby" / "active") so an operator or a test sees its role.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

import structlog

from control_plane.calls.center import load_center
from control_plane.calls.records_file import JsonLinesRecords
from control_plane.calls.service import CallControllerService, ControllerSettings
from control_plane.events.bus import EventBus
from control_plane.ivr.prompts import build_prompts
from control_plane.runtime.gc_policy import apply_gc_policy
from control_plane.runtime.logs import configure_logging
from control_plane.topology.model import load_topology

log = structlog.get_logger(__name__)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m control_plane.calls",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--topology", type=Path, required=True)
    parser.add_argument("--center", type=Path, required=True)
    parser.add_argument("--prompts", type=Path, required=True, help="prompt directory")
    parser.add_argument("--records", type=Path, required=True, help="JSON-lines file")
    parser.add_argument("--replica", default=None, help="control-plane replica name")
    parser.add_argument("--redis", default=None, help="redis:// URL: active/standby")
    parser.add_argument("--state-file", type=Path, default=None)
    parser.add_argument("--lease-ttl", type=float, default=3.0)
    return parser.parse_args()


async def _run(args: argparse.Namespace) -> None:
    topology = load_topology(args.topology)
    prompts = build_prompts(args.prompts)
    center = load_center(args.center, prompts=prompts.names())
    service = CallControllerService(
        topology=topology, center=center, prompts=prompts,
        records=JsonLinesRecords(args.records), bus=EventBus(),
        settings=ControllerSettings(replica=args.replica, failover_redis_url=args.redis,
                                    lease_ttl_s=args.lease_ttl, record_calls=False))
    await service.start()
    apply_gc_policy()  # configuration and agents loaded: the service's policy (issue #3)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            if args.state_file is not None:
                role = "active" if service.controller.active else "standby"
                args.state_file.write_text(role + "\n", encoding="utf-8")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        await service.stop()


def main() -> None:
    """Entry point."""
    configure_logging()
    asyncio.run(_run(_arguments()))


if __name__ == "__main__":
    main()

"""Seat presence from the province cores: evapi events plus JSON-RPC resyncs.

For every core the service keeps one evapi connection (Kamailio sends events only while
a client is connected, so after each (re)connect it resyncs from ``ul.dump``), and it
resyncs again every ``resync_interval`` seconds so that even a missed event is repaired.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog

from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.sip.evapi import NetstringDecoder, NetstringError, decode_event
from control_plane.sip.registry import PresenceEventError, SeatRegistry

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CoreEndpoint:
    """Where one province core serves evapi and JSON-RPC."""

    name: str
    evapi_host: str
    evapi_port: int
    rpc_url: str


class PresenceService:
    """Keeps a :class:`SeatRegistry` equal to the registrar's contacts."""

    def __init__(self, cores: list[CoreEndpoint], registry: SeatRegistry,
                 metrics: ControlPlaneMetrics, session: aiohttp.ClientSession,
                 resync_interval: float = 30.0) -> None:
        self.cores = cores
        self.registry = registry
        self.metrics = metrics
        self.session = session
        self.resync_interval = resync_interval
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start one connection task per core."""
        self._tasks = [asyncio.create_task(self._follow(core), name=f"presence-{core.name}")
                       for core in self.cores]

    async def stop(self) -> None:
        """Cancel the connection tasks and wait for them."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def resync(self, core: CoreEndpoint) -> None:
        """Replace the seat list with ``ul.dump`` from ``core``."""
        body = {"jsonrpc": "2.0", "method": "ul.dump", "id": 1}
        async with self.session.post(core.rpc_url, json=body,
                                     timeout=aiohttp.ClientTimeout(total=10)) as resp:
            reply: dict[str, Any] = await resp.json(content_type=None)
        if "error" in reply:
            raise RuntimeError(f"ul.dump on {core.name}: {reply['error']}")
        self.registry.replace_from_dump(reply.get("result") or {}, core.name)
        self.metrics.presence_resyncs.labels(core=core.name).inc()
        self._publish()

    def _publish(self) -> None:
        self.metrics.seats_registered.set(len(self.registry))

    async def _follow(self, core: CoreEndpoint) -> None:
        delay = 0.2
        while True:
            try:
                await self._session_with(core)
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except (OSError, aiohttp.ClientError, RuntimeError, NetstringError,
                    TimeoutError) as exc:
                log.warning("presence connection lost", core=core.name, error=str(exc))
            self.metrics.evapi_connected.labels(core=core.name).set(0)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _session_with(self, core: CoreEndpoint) -> None:
        reader, writer = await asyncio.open_connection(core.evapi_host, core.evapi_port)
        self.metrics.evapi_connected.labels(core=core.name).set(1)
        log.info("presence connected", core=core.name)
        try:
            # Subscribed first, dumped second: events that race the dump are replayed
            # after it, and applying them again is harmless (see SeatRegistry).
            await self.resync(core)
            decoder = NetstringDecoder()
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(65536), self.resync_interval)
                except TimeoutError:
                    await self.resync(core)
                    continue
                if not data:
                    raise ConnectionResetError(f"{core.name} closed the evapi connection")
                for payload in decoder.feed(data):
                    self._handle(core, payload)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _handle(self, core: CoreEndpoint, payload: bytes) -> None:
        try:
            event = decode_event(payload)
            self.registry.apply(event)
        except (ValueError, PresenceEventError) as exc:
            self.metrics.presence_bad_events.inc()
            log.warning("bad presence event", core=core.name, error=str(exc),
                        payload=payload[:200].decode(errors="replace"))
            return
        self.metrics.presence_events.labels(event=str(event.get("event"))).inc()
        self._publish()

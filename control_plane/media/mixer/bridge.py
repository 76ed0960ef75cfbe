"""The mixing bridge: one UDP socket per participant, a 20 ms tick that mixes and sends.

An adapter (it opens sockets). RTPengine anchors every leg; the bridge is just the far side
of each of them, so it only ever talks to RTPengine ports on the media network.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

import structlog

from control_plane.media.mixer.frames import FRAME_MS, mix
from control_plane.media.mixer.participant import Participant

log = structlog.get_logger(__name__)
TICK_S = FRAME_MS / 1000
# Behind by more than this, the bridge skips ticks instead of sending a burst.
MAX_CATCH_UP_S = 0.1


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, participant: Participant) -> None:
        self.participant = participant
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.participant.receive(data, addr)


class MixingBridge:
    """Mixes G.711 RTP among participants by a "hears" matrix (see `set_hears`)."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.participants: dict[str, Participant] = {}
        self._sockets: dict[str, _Socket] = {}
        self._hears: dict[str, frozenset[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.skipped_ticks = 0

    async def add(self, name: str, *, codec: str) -> int:
        """A participant speaking ``codec``; returns the local UDP port it sends to."""
        if name in self.participants:
            raise ValueError(f"participant {name!r} is already in the mix")
        participant = Participant(name, codec)
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(
            lambda: _Socket(participant), local_addr=(self.host, 0))
        self.participants[name] = participant
        self._sockets[name] = protocol
        assert protocol.transport is not None
        port: int = protocol.transport.get_extra_info("sockname")[1]
        return port

    def connect(self, name: str, remote: tuple[str, int]) -> None:
        """Where ``name``'s mix goes until its own packets say otherwise."""
        self.participants[name].remote = remote

    def set_hears(self, hears: Mapping[str, Iterable[str]]) -> None:
        """Who hears whom: ``{listener: [sources]}``; unnamed participants hear silence."""
        unknown = {n for n, s in hears.items() for n in (n, *s)} - set(self.participants)
        if unknown:
            raise ValueError(f"not in the mix: {sorted(unknown)}")
        self._hears = {name: frozenset(hears.get(name, ())) for name in self.participants}

    @property
    def hears(self) -> dict[str, frozenset[str]]:
        """The current matrix."""
        return dict(self._hears)

    def start(self) -> None:
        """Start ticking."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            self.tick()
            due += TICK_S
            late = loop.time() - due
            if late > MAX_CATCH_UP_S:  # the loop stalled: skip, keep RTP timestamps true
                missed = int(late / TICK_S)
                due += missed * TICK_S
                self.skipped_ticks += missed
                for participant in self.participants.values():
                    participant.skip(missed)
            await asyncio.sleep(max(0.0, due - loop.time()))

    def tick(self) -> None:
        """One 20 ms step: take a frame from everyone, send everyone their mix."""
        self.ticks += 1
        frames = {name: p.frame() for name, p in self.participants.items()}
        hears = self._hears or {name: frozenset() for name in self.participants}
        for name, samples in mix(frames, hears).items():
            participant, sock = self.participants[name], self._sockets[name]
            if participant.remote is not None and sock.transport is not None:
                sock.transport.sendto(participant.packet(samples), participant.remote)

    async def close(self) -> None:
        """Stop ticking and close every socket."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for sock in self._sockets.values():
            if sock.transport is not None:
                sock.transport.close()
        log.info("mix closed", ticks=self.ticks, skipped=self.skipped_ticks,
                 **{f"{n}_in": p.received for n, p in self.participants.items()},
                 **{f"{n}_out": p.sent for n, p in self.participants.items()})

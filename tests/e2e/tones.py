"""Parties that talk in a tone of their own and tell which tones they hear (Goertzel).

Each party of a mixing test sends a sine of its own frequency as PCMU; what it receives
is decoded and searched for the other parties' frequencies, so "the agent hears the
supervisor and the caller does not" is a measurement, not a packet count.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from control_plane.media.mixer import g711
from control_plane.sipstack.exchange import IncomingRequest
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.ua import DEFAULT_ALLOW, UserAgent
from tests.callers import PCMU, Caller, RtpParty, sdp_target
from tests.phones import AgentPhone
from tests.support import seat_ip

if TYPE_CHECKING:
    from tests.e2e.conftest import CallStack

RATE = 8000
WINDOW_PACKETS = 25  # 0.5 s: 2 Hz bins, so tones on multiples of 50 Hz fall on a bin
AMPLITUDE = 4000
HEARD = AMPLITUDE / 4  # a tone at a quarter of its sent amplitude or more is "heard"


def goertzel(samples: list[int] | np.ndarray, freq: float, rate: int = RATE) -> float:
    """The amplitude of ``freq`` in ``samples`` (Goertzel's single-bin DFT)."""
    n = len(samples)
    if n == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * round(freq * n / rate) / n)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = float(x) + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


def tone_frames(freq: float, start: int) -> bytes:
    """20 ms of ``freq`` from sample ``start`` as PCMU (phase continuous across frames)."""
    n = np.arange(start, start + 160)
    samples = (AMPLITUDE * np.sin(2 * np.pi * freq * n / RATE)).astype(np.int16)
    return g711.encode(g711.PCMU, samples)


@dataclass
class ToneParty(RtpParty):
    """An RtpParty that talks in a tone and keeps the last half second it received."""

    freq: float = 0.0
    window: deque[bytes] = field(default_factory=lambda: deque(maxlen=WINDOW_PACKETS))
    _sample: int = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        super().datagram_received(data, addr)
        if len(data) > 12 and data[1] & 0x7F == PCMU:
            self.window.append(data[12:])

    async def _talk(self) -> None:
        # On an absolute 20 ms schedule, as a handset's sound card clock: sleep(0.02) in a
        # loop drifts to ~48 packets/s, and the bridge would rebuffer every second or so.
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            self._send(PCMU, tone_frames(self.freq, self._sample))
            self._sample += 160
            self.timestamp += 160
            due += 0.02
            await asyncio.sleep(max(0.0, due - loop.time()))

    def level(self, freq: float) -> float:
        """The amplitude of ``freq`` in the last half second received."""
        if len(self.window) < WINDOW_PACKETS:
            return 0.0
        samples = g711.decode(g711.PCMU, b"".join(self.window))
        return goertzel(samples, freq)

    def hears(self, freq: float) -> bool:
        """Is ``freq`` in what arrived over the last half second?"""
        return self.level(freq) >= HEARD

    def clear(self) -> None:
        """Forget what was received (a fresh half second must arrive)."""
        self.window.clear()


async def tone_caller(address: str, freq: float, rtp_port: int = 40000) -> Caller:
    """A `Caller` whose voice is a tone."""
    ua = UserAgent(address, 5060, user="caller")
    await ua.start()
    loop = asyncio.get_running_loop()
    _, rtp = await loop.create_datagram_endpoint(lambda: ToneParty(freq=freq),
                                                 local_addr=(address, rtp_port))
    return Caller(ua, rtp)


@dataclass(eq=False)
class TonePhone(AgentPhone):
    """A softphone whose voice is a tone and that follows re-INVITEs to a new media port
    (as real softphones do: the mixing leg moves the agent with one)."""

    @classmethod
    async def open_tone(cls, address: str, freq: float, rtp_port: int = 41000) -> TonePhone:
        """Bind SIP (port 5060) and a tone RTP party on ``address``."""
        loop = asyncio.get_running_loop()
        _, rtp = await loop.create_datagram_endpoint(lambda: ToneParty(freq=freq),
                                                     local_addr=(address, rtp_port))
        phone = cls(UserAgent(address, 5060, user="phone",
                              allow=(*DEFAULT_ALLOW, "REFER", "NOTIFY")), rtp)
        phone.ua.handler = phone
        await phone.ua.start()
        return phone

    @property
    def tone(self) -> ToneParty:
        """The phone's RTP party."""
        assert isinstance(self.rtp, ToneParty)
        return self.rtp

    def on_request(self, incoming: IncomingRequest) -> None:
        """A re-INVITE moves where our tone goes; everything else as `AgentPhone`."""
        request = incoming.request
        if request.method == "INVITE" and incoming.dialog is not None and request.body:
            self.rtp.destination = sdp_target(request.body.decode())
        super().on_request(incoming)


@asynccontextmanager
async def tone_seats(stack: CallStack, seats: tuple[tuple[int, str, float], ...]
                     ) -> AsyncIterator[dict[str, TonePhone]]:
    """Tone softphones for ``seats`` ((host, seat, frequency)), registered through the city
    edge; closed when the block ends."""
    opened: dict[str, TonePhone] = {}
    city = stack.topo.node("city-1")
    try:
        for host, seat, freq in seats:
            phone = await TonePhone.open_tone(seat_ip(stack.topo, host), freq)
            opened[seat] = phone
            status = await phone.register(Peer(city.address, city.sip_port), seat,
                                          stack.seats[seat].password)
            assert status == 200
        yield opened
    finally:
        for phone in opened.values():
            await phone.close()

"""A caller for the call-path tests: a real SIP UA (our stack) and a real RTP socket.

It keeps sending 20 ms PCMU packets (a live phone does), counts what comes back, and
presses RFC 4733 digits in the same stream, so RTPengine sees one party like a handset.
"""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from control_plane.sipstack.exchange import OutgoingInvite
from control_plane.sipstack.headers import Address
from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.peer import Peer, new_tag
from control_plane.sipstack.ua import UserAgent
from control_plane.sipstack.uri import SipUri

PCMU, EVENT = 0, 101
T = TypeVar("T")
# 160 PCMU bytes no prompt or music contains verbatim. Not 0x7F (-0): once RTPengine has
# played media into a call it transcodes, and G.711's -0 comes back as +0 (0xFF).
VOICE = bytes(range(1, 127)) + bytes(range(128, 162))
DIGIT_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


HANDSET = ((0, "PCMU/8000"), (101, "telephone-event/8000"))


def offer_sdp(address: str, port: int,
              codecs: tuple[tuple[int, str], ...] = HANDSET) -> str:
    """A handset's offer (by default PCMU + telephone-event)."""
    lines = [f"v=0\r\no=caller 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n",
             f"m=audio {port} RTP/AVP {' '.join(str(pt) for pt, _ in codecs)}\r\n"]
    lines += [f"a=rtpmap:{pt} {name}\r\n" for pt, name in codecs]
    if any(name.startswith("telephone-event") for _, name in codecs):
        lines.append("a=fmtp:101 0-15\r\n")
    return "".join(lines) + "a=sendrecv\r\n"


def sdp_target(sdp: str) -> tuple[str, int]:
    """(address, port) of the first audio stream of an SDP."""
    host, port = "", 0
    for line in sdp.splitlines():
        if line.startswith("c=IN IP4 "):
            host = line.split()[2]
        if line.startswith("m=audio "):
            port = int(line.split()[1])
    return host, port


_TONES = {"1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "4": (770, 1209),
          "5": (770, 1336), "6": (770, 1477), "7": (852, 1209), "8": (852, 1336),
          "9": (852, 1477), "*": (941, 1209), "0": (941, 1336), "#": (941, 1477)}


def ulaw(sample: int) -> int:
    """G.711 μ-law encoding of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 132
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def dtmf_tone(digit: str, seconds: float) -> list[bytes]:
    """``seconds`` of the digit's dual tone as 20 ms PCMU payloads."""
    low, high = _TONES[digit]
    samples = [int(8000 * (math.sin(2 * math.pi * low * n / 8000)
                           + math.sin(2 * math.pi * high * n / 8000)))
               for n in range(int(8000 * seconds))]
    encoded = bytes(ulaw(v) for v in samples)
    return [encoded[i:i + 160] for i in range(0, len(encoded) - 159, 160)]


@dataclass
class RtpParty(asyncio.DatagramProtocol):
    """Sends and counts RTP on one socket."""

    received: int = 0
    echoed: int = 0  # packets carrying our own payload back (a seat echoing us)
    marks: list[int] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    destination: tuple[str, int] | None = None
    seq: int = 1
    timestamp: int = 8000
    ssrc: int = 0x5EED
    pressing: bool = False
    last: bytes = b""
    _sender: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received += 1
        self.last = data
        if data[12:] == VOICE:
            self.echoed += 1

    def mark(self) -> int:
        """Remember the current received count (to count what arrives after)."""
        self.marks.append(self.received)
        return self.received

    def _send(self, payload_type: int, payload: bytes, *, marker: bool = False) -> None:
        if self.transport is None or self.destination is None:
            return
        self.seq = (self.seq + 1) & 0xFFFF
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type,
                             self.seq, self.timestamp, self.ssrc)
        self.transport.sendto(header + payload, self.destination)

    def start(self, destination: tuple[str, int]) -> None:
        """Talk: one PCMU packet every 20 ms until `stop`."""
        self.destination = destination
        self._sender = asyncio.get_running_loop().create_task(self._talk())

    async def _talk(self) -> None:
        while True:
            if not self.pressing:  # a handset sends events instead of voice meanwhile
                self._send(PCMU, VOICE)
                self.timestamp += 160
            await asyncio.sleep(0.02)

    async def press(self, digits: str, gap_s: float = 0.3) -> None:
        """RFC 4733 digits in the stream: 5 updates, then the end packet three times."""
        for digit in digits:
            self.pressing = True
            event, duration = DIGIT_EVENTS[digit], 0
            for index in range(5):
                duration += 160
                self._send(EVENT, struct.pack("!BBH", event, 10, duration), marker=index == 0)
                await asyncio.sleep(0.02)
            for _ in range(3):
                self._send(EVENT, struct.pack("!BBH", event, 0x80 | 10, duration))
            self.timestamp += duration
            self.pressing = False
            await asyncio.sleep(gap_s)

    async def press_in_band(self, digits: str, gap_s: float = 0.3) -> None:
        """Digits as dual tones inside the PCMU voice stream (a handset without RFC 4733)."""
        for digit in digits:
            self.pressing = True
            for chunk in dtmf_tone(digit, 0.12):
                self._send(PCMU, chunk)
                self.timestamp += 160
                await asyncio.sleep(0.02)
            self.pressing = False
            await asyncio.sleep(gap_s)

    def stop(self) -> None:
        """Stop talking and close the socket."""
        if self._sender is not None:
            self._sender.cancel()
        if self.transport is not None:
            self.transport.close()


@dataclass
class Caller:
    """One caller: its UA, its RTP party and its INVITE."""

    ua: UserAgent
    rtp: RtpParty
    invite: OutgoingInvite | None = None

    @classmethod
    async def open(cls, address: str, rtp_port: int = 40000) -> Caller:
        """Bind the SIP UA (port 5060) and the RTP socket on ``address``."""
        ua = UserAgent(address, 5060, user="caller")
        await ua.start()
        loop = asyncio.get_running_loop()
        _, rtp = await loop.create_datagram_endpoint(RtpParty, local_addr=(address, rtp_port))
        return cls(ua, rtp)

    async def call(self, number: str, domain: str, edge: Peer, *,
                   caller_number: str = "13800001111",
                   codecs: tuple[tuple[int, str], ...] = HANDSET) -> SipResponse:
        """INVITE ``number`` through ``edge``; starts talking once answered."""
        address = self.ua.transport.host
        assert self.rtp.transport is not None
        port = self.rtp.transport.get_extra_info("sockname")[1]
        request = self.ua.new_request(
            "INVITE", SipUri(host=domain, user=number),
            headers=(("Content-Type", "application/sdp"),),
            body=offer_sdp(address, port, codecs).encode(),
        )
        me = Address(SipUri(host="pstn.example", user=caller_number))
        request = request.evolve(from_=me.with_tag(new_tag()))
        self.invite = self.ua.invite(request, edge)
        response = await self.invite.final
        if response.status == 200:
            self.rtp.start(sdp_target(response.body.decode()))
        return response

    @property
    def connected(self) -> bool:
        """True while the dialog is up."""
        dialog = self.invite.dialog if self.invite else None
        return dialog is not None and dialog.id in self.ua.dialogs

    async def hang_up(self) -> None:
        """BYE, and stop media."""
        if self.invite is not None and self.invite.dialog is not None and self.connected:
            await self.ua.send_bye(self.invite.dialog)
        self.rtp.stop()

    async def close(self) -> None:
        """Release the sockets."""
        self.rtp.stop()
        await self.ua.close()


async def until(fetch: Callable[[], T | None], within: float = 10.0, why: object = "") -> T:
    """Await until ``fetch`` returns something truthy (a bound on waiting, not a timing
    assertion); AssertionError after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        value = fetch()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached within {within:.0f} s {why}")


class HasRtp(Protocol):
    """A caller or a softphone: anything with an RTP party."""

    rtp: RtpParty


async def flowing(*parties: HasRtp, packets: int = 25) -> None:
    """Wait until every party has received ``packets`` more RTP packets than it had."""
    marks = [(p, p.rtp.mark()) for p in parties]
    await until(lambda: all(p.rtp.received >= m + packets for p, m in marks), 10,
                "two-way RTP")

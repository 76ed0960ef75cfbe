"""The RTP peers' packets and counts (pure): what a tick looks like on the wire, the
counting window, the end-to-end totals, the command lines (see ``loadtests.rtp_peers``)."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

PTIME_S = 0.020
HEADER = struct.Struct("!BBHII")
SSRC = 0xBE4C
# The tick rides in the payload (after a marker): RTPengine rewrites sequence, timestamp
# and SSRC of a stream it plays into. The payload survives, but with the controller's
# in-band DTMF detection RTPengine decodes and re-encodes PCMU, and u-law has two zeros:
# 0x7F comes back as 0xFF (a tick written in plain bytes read wrong every 256 ticks, a
# fake 0.33% loss). So the tick is written 7 bits a byte with the top bit set.
MARK = b"RTPB"
TICK_BYTES = 5  # 35 bits of tick: 21 years of 20 ms
FILL = b"\xff" * (160 - len(MARK) - TICK_BYTES)  # the rest of 20 ms of PCMU


def encode_tick(tick: int) -> bytes:
    """``tick`` in bytes that survive a PCMU decode and re-encode (0x80-0xFF only)."""
    return bytes(0x80 | (tick >> (7 * n)) & 0x7F for n in range(TICK_BYTES - 1, -1, -1))


def decode_tick(data: bytes) -> int:
    """The tick of ``encode_tick``'s bytes (-1 if they are not such bytes)."""
    if len(data) != TICK_BYTES or any(b < 0x80 for b in data):
        return -1
    tick = 0
    for byte in data:
        tick = tick << 7 | byte & 0x7F
    return tick


class PeerError(ValueError):
    """Bad input to the RTP peers; ``error_id`` is stable."""

    def __init__(self, error_id: str, detail: str) -> None:
        super().__init__(f"{error_id}: {detail}")
        self.error_id = error_id


def rtp_packet(tick: int) -> bytes:
    """One PCMU packet of ``tick`` (sequence and timestamp derive from it)."""
    return (HEADER.pack(0x80, 0, tick & 0xFFFF, (tick * 160) & 0xFFFFFFFF, SSRC)
            + MARK + encode_tick(tick) + FILL)


def packet_tick(data: bytes) -> int:
    """The tick a packet of ``rtp_packet`` was sent in (-1 for anything else)."""
    start = HEADER.size + len(MARK)
    if data[HEADER.size:start] != MARK:
        return -1
    return decode_tick(data[start:start + TICK_BYTES])


@dataclass
class Stream:
    """One caller's counts: all of them, and those of the window."""

    dest: tuple[str, int]
    sent: int = 0
    received: int = 0
    window_sent: int = 0
    window_received: int = 0
    window_extra: int = 0  # in-window ticks back again, or never sent: not a delivery
    # Ticks of the window sent and not (yet) back: when in the window the losses were.
    missing: set[int] = field(default_factory=set)


@dataclass
class Window:
    """The counting window, in ticks: [start, end); end is open until ``stop``."""

    start: int = -1
    end: int = 1 << 62

    def holds(self, tick: int) -> bool:
        """Whether a packet of ``tick`` belongs to the window."""
        return self.start >= 0 and self.start <= tick < self.end


@dataclass
class Totals:
    """What ``stop`` reports: sums over the streams and per-stream extremes."""

    streams: int
    two_way: int
    sent: int
    received: int
    window_sent: int
    window_received: int
    window_extra: int
    window_ticks: int
    streams_with_loss: int
    loss_pct: float
    window_pps_per_stream: float
    late_ticks: int
    skipped_ticks: int
    worst: list[tuple[int, int, int]] = field(default_factory=list)
    lost_by_second: dict[int, int] = field(default_factory=dict)


def totals(streams: dict[int, Stream], *, window: Window, late: int, skipped: int) -> Totals:
    """The report of a caller run: end-to-end loss over the window."""
    active = list(streams.values())
    w_sent = sum(s.window_sent for s in active)
    w_recv = sum(s.window_received for s in active)
    lossy = sorted(((p, s.window_sent, s.window_received) for p, s in streams.items()
                    if s.window_received < s.window_sent), key=lambda x: x[2] - x[1])
    sent = sum(s.sent for s in active)
    window_s = max(0, window.end - window.start) * PTIME_S if window.start >= 0 else 0.0
    return Totals(
        streams=len(active),
        two_way=sum(1 for s in active if s.window_sent > 0 and s.window_received > 0),
        sent=sent, received=sum(s.received for s in active),
        window_sent=w_sent, window_received=w_recv,
        window_extra=sum(s.window_extra for s in active),
        window_ticks=max(0, window.end - window.start) if window.start >= 0 else 0,
        streams_with_loss=len(lossy),
        loss_pct=round(100 * (1 - w_recv / w_sent), 3) if w_sent else 100.0,
        window_pps_per_stream=round(w_sent / window_s / len(active), 1)
        if active and window_s > 0 else 0.0,
        late_ticks=late, skipped_ticks=skipped, worst=lossy[:5],
        lost_by_second=lost_by_second(streams.values(), window))


def lost_by_second(streams: Iterable[Stream], window: Window) -> dict[int, int]:
    """Packets of the window that never came back, by second of the window."""
    out: dict[int, int] = {}
    per_second = round(1 / PTIME_S)
    for stream in streams:
        for tick in stream.missing:
            second = (tick - window.start) // per_second
            out[second] = out.get(second, 0) + 1
    return dict(sorted(out.items()))


def parse_command(line: str) -> tuple[str, list[str]]:
    """``send PORT IP PORT`` | ``mark`` | ``stop`` | ``report`` -> (verb, args)."""
    words = line.split()
    if not words:
        return "", []
    verb, args = words[0], words[1:]
    arity = {"send": 3, "mark": 0, "stop": 0, "report": 0}
    if verb not in arity:
        raise PeerError("rtp_peers.unknown_command", f"{verb!r} (send, mark, stop, report)")
    if len(args) != arity[verb]:
        raise PeerError("rtp_peers.bad_arguments", f"{verb} takes {arity[verb]}: {line!r}")
    if verb == "send" and not (args[0].isdigit() and args[2].isdigit()):
        raise PeerError("rtp_peers.bad_arguments", f"ports must be numbers: {line!r}")
    return verb, args

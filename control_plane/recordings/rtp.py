"""RTP out of captured datagrams: header parsing, payload kinds, streams in sequence order.

A stream is one SSRC arriving on one RTPengine port (the port tells the direction: the one
RTPengine gave the caller receives what the caller sends). Within a stream, packets are put
in sequence order across the 16-bit wrap, duplicates dropped; RFC 4733 events and comfort
noise stay in the stream (they take sequence numbers) but carry no audio.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from control_plane.recordings.errors import UnsupportedCodec
from control_plane.recordings.pcap import Datagram

PCMU, PCMA, COMFORT_NOISE = 0, 8, 13
_DYNAMIC = range(96, 128)
_RTCP_TYPES = range(64, 96)  # second byte & 0x7F for RTCP 192..223 (RFC 5761 §4)
_EVENT_SIZES = frozenset({4, 8, 12, 16})  # one to four 4-byte RFC 4733 event blocks


class Kind(Enum):
    """What a packet's payload is to the converter."""

    PCMU = "pcmu"
    PCMA = "pcma"
    EVENT = "telephone-event"
    COMFORT_NOISE = "comfort-noise"


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet: header fields, the payload after CSRCs/extension/padding, its kind."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    csrcs: tuple[int, ...]
    payload: bytes
    kind: Kind
    time: float
    port: int
    offset: int

    @property
    def audio(self) -> bool:
        """True for G.711 audio (what goes into the WAV)."""
        return self.kind in (Kind.PCMU, Kind.PCMA)


@dataclass(frozen=True, slots=True)
class RtpHeader:
    """The fixed header, the CSRC list and where the payload is."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    csrcs: tuple[int, ...]
    payload: bytes


def parse_header(data: bytes) -> RtpHeader | None:
    """The RTP header of ``data``, or None for anything else (RTCP, STUN, malformed)."""
    if len(data) < 12 or data[0] >> 6 != 2 or data[1] & 0x7F in _RTCP_TYPES:
        return None
    first, second, sequence, timestamp, ssrc = struct.unpack_from("!BBHII", data, 0)
    count = first & 0x0F
    start = 12 + 4 * count
    if start > len(data):
        return None
    csrcs = struct.unpack_from(f"!{count}I", data, 12)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if start + 4 > len(data):
            return None
        start += 4 + 4 * struct.unpack_from("!H", data, start + 2)[0]
    end = len(data)
    if first & 0x20:  # padding: the last byte counts the padding bytes, itself included
        padding = data[-1]
        if padding == 0:
            return None
        end -= padding
    if start > end:
        return None
    return RtpHeader(second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc,
                     tuple(csrcs), data[start:end])


def kind_of(payload_type: int, payload: bytes, *, path: Path, offset: int) -> Kind:
    """The payload's kind; other codecs raise ``recording.unsupported_codec``.

    A dynamic payload type whose payloads are whole RFC 4733 event blocks is taken as
    telephone-event: SDP is not in the capture, and no audio codec sends 4-byte frames.
    """
    if payload_type == PCMU:
        return Kind.PCMU
    if payload_type == PCMA:
        return Kind.PCMA
    if payload_type == COMFORT_NOISE:
        return Kind.COMFORT_NOISE
    if payload_type in _DYNAMIC and len(payload) in _EVENT_SIZES:
        return Kind.EVENT
    raise UnsupportedCodec(f"RTP payload type {payload_type} is not G.711 (PCMU 0, PCMA 8)",
                           path=path, offset=offset)


def rtp_packets(datagrams: Iterable[Datagram], *, path: Path) -> tuple[list[RtpPacket], int]:
    """The RTP packets among ``datagrams`` and how many datagrams were not RTP."""
    packets: list[RtpPacket] = []
    other = 0
    for datagram in datagrams:
        header = parse_header(datagram.payload)
        if header is None:
            other += 1
            continue
        kind = kind_of(header.payload_type, header.payload, path=path, offset=datagram.offset)
        packets.append(RtpPacket(
            payload_type=header.payload_type, marker=header.marker, sequence=header.sequence,
            timestamp=header.timestamp, ssrc=header.ssrc, csrcs=header.csrcs,
            payload=header.payload, kind=kind, time=datagram.time, port=datagram.dst[1],
            offset=datagram.offset))
    return packets, other


StreamKey = tuple[int, int]  # RTPengine port the stream arrived on, SSRC


def streams(packets: Iterable[RtpPacket]) -> dict[StreamKey, list[RtpPacket]]:
    """Packets grouped by (port, SSRC), each group in sequence order without duplicates."""
    grouped: dict[StreamKey, list[RtpPacket]] = {}
    for packet in sorted(packets, key=lambda p: p.time):  # unwrap in arrival order
        grouped.setdefault((packet.port, packet.ssrc), []).append(packet)
    return {key: in_sequence(group) for key, group in grouped.items()}


def unwrap(values: Iterable[int], bits: int) -> list[int]:
    """Counters that wrap at ``2**bits`` extended to plain integers.

    Each value is taken as the nearest one to its predecessor: a step of less than half
    the range forward is a step forward (across the wrap), anything else a step back
    (a reordered or repeated packet).
    """
    modulus, half = 1 << bits, 1 << (bits - 1)
    out: list[int] = []
    for value in values:
        if not out:
            out.append(value)
            continue
        delta = (value - out[-1]) % modulus
        out.append(out[-1] + delta if delta < half else out[-1] + delta - modulus)
    return out


def in_sequence(packets: list[RtpPacket]) -> list[RtpPacket]:
    """Packets (in arrival order) sorted by extended sequence number, first copy kept."""
    extended = unwrap((p.sequence for p in packets), 16)
    seen: set[int] = set()
    ordered: list[RtpPacket] = []
    for number, packet in sorted(zip(extended, packets, strict=True), key=lambda e: e[0]):
        if number not in seen:
            seen.add(number)
            ordered.append(packet)
    return ordered

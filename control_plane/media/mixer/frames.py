"""The mixer's arithmetic, pure: RTP packets in and out, and one 20 ms mixing step.

`mix` takes each participant's decoded frame (None when they sent nothing in time) and the
"hears" matrix, and returns for every participant the clipped sum of the frames of those
they may hear (never their own): silence when none of them spoke.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from control_plane.media.mixer import g711
from control_plane.media.mixer.g711 import Samples

RATE: Final = 8000
FRAME_MS: Final = 20
FRAME_SAMPLES: Final = RATE * FRAME_MS // 1000  # 160
_HEADER = struct.Struct("!BBHII")
_INT16_MIN, _INT16_MAX = -32768, 32767


class RtpError(ValueError):
    """A datagram that is not an RTP packet we can read (the reason says why)."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """The fields of an RTP packet (RFC 3550) the mixer uses."""

    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False


def parse_rtp(data: bytes) -> RtpPacket:
    """Read an RTP packet: version 2, CSRCs, header extension and padding skipped."""
    if len(data) < _HEADER.size:
        raise RtpError(f"{len(data)} bytes is shorter than an RTP header")
    first, second, seq, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise RtpError(f"RTP version {first >> 6}, not 2")
    offset = _HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(data) < offset + 4:
            raise RtpError("truncated header extension")
        offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
    end = len(data)
    if first & 0x20:  # padding: the last byte says how many bytes to drop
        end -= data[-1]
    if offset > end:
        raise RtpError("header longer than the packet")
    return RtpPacket(payload_type=second & 0x7F, seq=seq, timestamp=timestamp, ssrc=ssrc,
                     payload=bytes(data[offset:end]), marker=bool(second & 0x80))


def build_rtp(packet: RtpPacket) -> bytes:
    """An RTP packet with a 12-byte header (no CSRC, extension or padding)."""
    second = (0x80 if packet.marker else 0) | (packet.payload_type & 0x7F)
    return _HEADER.pack(0x80, second, packet.seq & 0xFFFF, packet.timestamp & 0xFFFFFFFF,
                        packet.ssrc & 0xFFFFFFFF) + packet.payload


def seq_newer(seq: int, than: int) -> bool:
    """RFC 3550 sequence order with wrap-around: is ``seq`` after ``than``?"""
    return 0 < (seq - than) & 0xFFFF < 0x8000


def silence() -> Samples:
    """One frame of linear silence."""
    return np.zeros(FRAME_SAMPLES, dtype=np.int16)


def mix(frames: Mapping[str, Samples | None],
        hears: Mapping[str, frozenset[str]]) -> dict[str, Samples]:
    """For each listener in ``hears``: the sum of the frames of those it hears (never
    itself), clipped to 16 bits; silence when none of them has a frame."""
    out: dict[str, Samples] = {}
    for listener, sources in hears.items():
        total = np.zeros(FRAME_SAMPLES, dtype=np.int32)
        for source in sources:
            frame = frames.get(source)
            if source != listener and frame is not None:
                total += frame[:FRAME_SAMPLES]
        out[listener] = np.clip(total, _INT16_MIN, _INT16_MAX).astype(np.int16)
    return out


def mix_payloads(payloads: Mapping[str, bytes | None], codecs: Mapping[str, str],
                 hears: Mapping[str, frozenset[str]]) -> dict[str, bytes]:
    """`mix` on G.711 payloads: decode each with its participant's codec, mix, encode each
    output with the listener's codec."""
    frames = {name: g711.decode(codecs[name], payload) if payload is not None else None
              for name, payload in payloads.items()}
    return {name: g711.encode(codecs[name], frame)
            for name, frame in mix(frames, hears).items()}

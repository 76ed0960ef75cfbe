"""Builders of test captures (pcap, pcapng, RTP), tones, and a frequency estimate."""

from __future__ import annotations

import itertools
import math
import struct
from dataclasses import dataclass

from control_plane.recordings.g711 import encode_ulaw

RATE = 8000
RTPENGINE = "10.0.0.1"
CALLER, AGENT = ("10.0.0.7", 40000), ("10.0.0.8", 40002)
CALLER_PORT, AGENT_PORT = 30014, 30000  # RTPengine's ports facing the caller / agent


def rtp(*, seq: int, ts: int, ssrc: int, payload: bytes, pt: int = 0, marker: bool = False,
        csrcs: tuple[int, ...] = (), extension: bytes | None = None, padding: int = 0) -> bytes:
    """An RTP packet; ``extension`` is the extension's words (a multiple of 4 bytes)."""
    first = 0x80 | len(csrcs) | (0x10 if extension is not None else 0) | (0x20 if padding else 0)
    out = struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                      ts & 0xFFFFFFFF, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if extension is not None:
        out += struct.pack("!HH", 0xBEDE, len(extension) // 4) + extension
    out += payload
    if padding:
        out += bytes(padding - 1) + bytes([padding])
    return out


def ipv4_udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes, *,
             protocol: int = 17, fragment: int = 0) -> bytes:
    """An IPv4 header (no options) + UDP header + payload, checksums left zero as RTPengine
    leaves them."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, fragment, 64, protocol,
                         0, bytes(map(int, src[0].split("."))), bytes(map(int, dst[0].split("."))))
    return header + udp


@dataclass(frozen=True)
class Frame:
    """One captured frame and when."""

    time: float
    data: bytes


def pcap(frames: list[Frame], *, link: int = 101, order: str = "<", nano: bool = False) -> bytes:
    """A classic pcap file."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, link)]
    ticks = 1_000_000_000 if nano else 1_000_000
    for frame in frames:
        seconds = int(frame.time)
        fraction = round((frame.time - seconds) * ticks)
        out.append(struct.pack(order + "IIII", seconds, fraction, len(frame.data),
                               len(frame.data)))
        out.append(frame.data)
    return b"".join(out)


def _block(kind: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def pcapng(frames: list[Frame], *, link: int = 101, tsresol: int | None = 9) -> bytes:
    """A pcapng file: section header, one interface (nanoseconds by default), EPBs."""
    out = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = b""
    if tsresol is not None:
        options = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
    out += _block(1, struct.pack("<HHI", link, 0, 65535) + options)
    out += _block(5, b"ignored statistics block")  # unknown blocks are skipped
    per_second = 10 ** (tsresol or 6)
    for frame in frames:
        stamp = round(frame.time * per_second)
        out += _block(6, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF,
                                     len(frame.data), len(frame.data)) + frame.data)
    return out


def ethernet(packet: bytes, *, vlan: int | None = None) -> bytes:
    """An Ethernet II frame around an IPv4 packet, optionally 802.1Q-tagged."""
    tag = b"" if vlan is None else struct.pack("!HH", 0x8100, vlan)
    return bytes(12) + tag + struct.pack("!H", 0x0800) + packet


def linux_sll(packet: bytes) -> bytes:
    """A Linux cooked (SLL) header around an IPv4 packet."""
    return struct.pack("!HHH8sH", 0, 772, 0, bytes(8), 0x0800) + packet


def linux_sll2(packet: bytes) -> bytes:
    """A Linux cooked v2 (SLL2) header around an IPv4 packet."""
    return struct.pack("!HHIHBB8s", 0x0800, 0, 1, 772, 0, 0, bytes(8)) + packet


def tone(hertz: float, samples: int, *, start: int = 0, amplitude: int = 8000) -> list[int]:
    """Samples of a sine tone, continuing from sample ``start``."""
    return [round(amplitude * math.sin(2 * math.pi * hertz * (start + i) / RATE))
            for i in range(samples)]


def tone_stream(hertz: float, packets: int, *, ssrc: int, seq: int = 100,
                ts: int = 16_000) -> list[bytes]:
    """``packets`` × 20 ms of a μ-law tone as RTP packets."""
    return [rtp(seq=seq + i, ts=ts + 160 * i, ssrc=ssrc,
                payload=encode_ulaw(tone(hertz, 160, start=160 * i)))
            for i in range(packets)]


def call_capture(*, caller: list[bytes], agent: list[bytes], start: float = 1_800_000_000.0,
                 agent_delay: float = 0.0) -> bytes:
    """RTPengine-style pcap: caller's packets to CALLER_PORT, agent's to AGENT_PORT, 20 ms
    apart, the agent's starting ``agent_delay`` seconds after the caller's."""
    frames = [Frame(start + 0.02 * i, ipv4_udp(CALLER, (RTPENGINE, CALLER_PORT), p))
              for i, p in enumerate(caller)]
    frames += [Frame(start + agent_delay + 0.02 * i, ipv4_udp(AGENT, (RTPENGINE, AGENT_PORT), p))
               for i, p in enumerate(agent)]
    frames.sort(key=lambda f: f.time)
    return pcap(frames)


def zero_crossings_hz(samples: list[int]) -> float:
    """Estimated frequency of a tone: sign changes per second / 2."""
    changes = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    return changes / 2 / (len(samples) / RATE)

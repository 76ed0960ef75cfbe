"""A pure-Python reader of packet captures: IPv4 UDP datagrams out of pcap or pcapng.

RTPengine 10.5 (``recording-method = pcap``) writes classic pcap, microseconds, with link
type raw IP (``recording-format = raw``) or Ethernet (``eth``), one packet per datagram it
received: source = the sender, destination = RTPengine's own port, timestamp = when it
received it. Captures taken by tcpdump (Linux cooked, VLAN-tagged Ethernet, pcapng) read
the same, so hand-made evidence converts too.

Anything that is not an unfragmented IPv4 UDP datagram is skipped (and counted); a file
that ends inside a header or a packet, or is not a capture at all, raises a typed error
with the byte offset.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from control_plane.recordings.errors import NotACapture, TruncatedCapture, UnsupportedLinkType

# Link types (https://www.tcpdump.org/linktypes.html); 12 and 14 are DLT_RAW's
# platform-specific numbers, which some writers put in files unchanged.
LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_IPV4 = 0, 1, 101, 228
LINK_LINUX_SLL, LINK_LINUX_SLL2 = 113, 276
_RAW_ALIASES = frozenset({LINK_RAW, 12, 14})
SUPPORTED_LINK_TYPES = frozenset(
    {LINK_NULL, LINK_ETHERNET, LINK_IPV4, LINK_LINUX_SLL, LINK_LINUX_SLL2} | _RAW_ALIASES)

_ETHERTYPE_IPV4, _VLAN_TAGS = 0x0800, frozenset({0x8100, 0x88A8, 0x9100})
_UDP = 17
# A record larger than this is a corrupt length field, not a packet (pcap's own limit).
MAX_RECORD = 262_144

_PCAP_MAGIC = {  # magic as read little-endian -> (byte order, ticks per second)
    0xA1B2C3D4: ("<", 1_000_000), 0xD4C3B2A1: (">", 1_000_000),
    0xA1B23C4D: ("<", 1_000_000_000), 0x4D3CB2A1: (">", 1_000_000_000),
}
_PCAPNG_SHB, _PCAPNG_IDB, _PCAPNG_EPB, _PCAPNG_SPB, _PCAPNG_OPB = (
    0x0A0D0D0A, 1, 6, 3, 2)
_PCAPNG_BYTE_ORDER = 0x1A2B3C4D


@dataclass(frozen=True, slots=True)
class Datagram:
    """One captured UDP datagram: when, from where to where, its payload, where in the file."""

    time: float
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes
    offset: int


@dataclass
class CaptureStats:
    """What a read found: records read and records skipped (not IPv4 UDP, fragments...)."""

    records: int = 0
    skipped: int = 0
    link_types: set[int] = field(default_factory=set)


def read_datagrams(path: Path, stats: CaptureStats | None = None) -> list[Datagram]:
    """Every IPv4 UDP datagram of the capture at ``path``, in file order."""
    data = path.read_bytes()
    return list(iter_datagrams(data, path=path, stats=stats or CaptureStats()))


def iter_datagrams(data: bytes, *, path: Path, stats: CaptureStats) -> Iterator[Datagram]:
    """The datagrams of a capture held in ``data`` (``path`` names it in errors)."""
    if len(data) < 4:
        raise TruncatedCapture("file shorter than a capture header", path=path, offset=0)
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic == _PCAPNG_SHB:
        records = _pcapng_records(data, path)
    elif magic in _PCAP_MAGIC:
        records = _pcap_records(data, path, *_PCAP_MAGIC[magic])
    else:
        raise NotACapture(f"unknown magic 0x{magic:08x}", path=path, offset=0)
    for time, link, record, start, end in records:
        stats.records += 1
        stats.link_types.add(link)
        datagram = _udp(data, start, end, time=time, link=link, record=record)
        if datagram is None:
            stats.skipped += 1
        else:
            yield datagram


# time, link type, offset of the record, start and end of its frame in the file
Record = tuple[float, int, int, int, int]


def _pcap_records(data: bytes, path: Path, order: str, ticks: int) -> Iterator[Record]:
    if len(data) < 24:
        raise TruncatedCapture("file ends inside the pcap header", path=path, offset=0)
    link = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFF_FFFF  # high bits: FCS info
    _check_link(link, path, 20)
    offset = 24
    while offset < len(data):
        if offset + 16 > len(data):
            raise TruncatedCapture("file ends inside a packet header", path=path, offset=offset)
        seconds, fraction, captured, _ = struct.unpack_from(order + "IIII", data, offset)
        if captured > MAX_RECORD:
            raise NotACapture(f"packet length {captured} is not a packet's", path=path,
                              offset=offset)
        start = offset + 16
        if start + captured > len(data):
            raise TruncatedCapture("file ends inside a packet", path=path, offset=offset)
        yield seconds + fraction / ticks, link, offset, start, start + captured
        offset = start + captured


def _pcapng_records(data: bytes, path: Path) -> Iterator[Record]:
    order = "<"
    interfaces: list[tuple[int, float]] = []  # link type, seconds per tick
    offset = 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise TruncatedCapture("file ends inside a block header", path=path, offset=offset)
        kind = struct.unpack_from(order + "I", data, offset)[0]
        if kind == _PCAPNG_SHB:
            order = _section_order(data, offset, path)
            interfaces = []
        kind, length = struct.unpack_from(order + "II", data, offset)
        if length < 12 or length % 4 or length > MAX_RECORD + 64:
            raise NotACapture(f"block length {length} is not a block's", path=path,
                              offset=offset)
        if offset + length > len(data):
            raise TruncatedCapture("file ends inside a block", path=path, offset=offset)
        body, end = offset + 8, offset + length - 4
        if kind == _PCAPNG_IDB:
            link = struct.unpack_from(order + "H", data, body)[0]
            _check_link(link, path, body)
            interfaces.append((link, _resolution(data, body + 8, end, order)))
        elif kind in (_PCAPNG_EPB, _PCAPNG_OPB):
            yield _packet_block(data, offset, kind, order=order, interfaces=interfaces, path=path)
        offset += length


def _section_order(data: bytes, offset: int, path: Path) -> str:
    if offset + 12 > len(data):
        raise TruncatedCapture("file ends inside a section header", path=path, offset=offset)
    for order in ("<", ">"):
        if struct.unpack_from(order + "I", data, offset + 8)[0] == _PCAPNG_BYTE_ORDER:
            return order
    raise NotACapture("pcapng section without its byte-order magic", path=path, offset=offset)


def _resolution(data: bytes, start: int, end: int, order: str) -> float:
    """Seconds per timestamp tick from the IDB's if_tsresol option (default microseconds)."""
    while start + 4 <= end:
        code, size = struct.unpack_from(order + "HH", data, start)
        if code == 0:
            break
        if code == 9 and size >= 1:
            value = data[start + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
        start += 4 + size + (-size % 4)
    return 1e-6


def _packet_block(data: bytes, offset: int, kind: int, *, order: str,
                  interfaces: list[tuple[int, float]], path: Path) -> Record:
    body = offset + 8
    if kind == _PCAPNG_EPB:
        interface, high, low, captured = struct.unpack_from(order + "IIII", data, body)
        start = body + 20
    else:  # obsolete Packet Block: 16-bit interface id and drop count
        interface, _, high, low, captured = struct.unpack_from(order + "HHIII", data, body)
        start = body + 20
    if interface >= len(interfaces):
        raise NotACapture(f"packet of undeclared interface {interface}", path=path,
                          offset=offset)
    if start + captured > offset + struct.unpack_from(order + "I", data, offset + 4)[0] - 4:
        raise NotACapture("packet longer than its block", path=path, offset=offset)
    link, tick = interfaces[interface]
    return ((high << 32) | low) * tick, link, offset, start, start + captured


def _check_link(link: int, path: Path, offset: int) -> None:
    if link not in SUPPORTED_LINK_TYPES:
        raise UnsupportedLinkType(f"link type {link}", path=path, offset=offset)


def _ip_start(data: bytes, start: int, end: int, link: int) -> int | None:
    """Where the IPv4 header begins in the frame, or None for anything else."""
    if link in _RAW_ALIASES or link == LINK_IPV4:
        return start
    if link == LINK_NULL:
        if end - start < 4:
            return None
        family = data[start : start + 4]  # host byte order of the capturing machine
        return start + 4 if family in (b"\x02\x00\x00\x00", b"\x00\x00\x00\x02") else None
    if link == LINK_ETHERNET:
        position = start + 12
        while position + 2 <= end:
            ethertype = struct.unpack_from("!H", data, position)[0]
            if ethertype not in _VLAN_TAGS:
                return position + 2 if ethertype == _ETHERTYPE_IPV4 else None
            position += 4
        return None
    header = 16 if link == LINK_LINUX_SLL else 20
    if end - start < header:
        return None
    at = start + (14 if link == LINK_LINUX_SLL else 0)
    return start + header if struct.unpack_from("!H", data, at)[0] == _ETHERTYPE_IPV4 else None


def _udp(data: bytes, start: int, end: int, *, time: float, link: int,
         record: int) -> Datagram | None:
    ip = _ip_start(data, start, end, link)
    if ip is None or ip + 20 > end or data[ip] >> 4 != 4:
        return None
    header = (data[ip] & 0x0F) * 4
    total = struct.unpack_from("!H", data, ip + 2)[0]
    fragment = struct.unpack_from("!H", data, ip + 6)[0]
    if header < 20 or data[ip + 9] != _UDP or fragment & 0x3FFF:  # MF flag or an offset
        return None
    udp = ip + header
    ip_end = min(end, ip + total) if total else end  # 0: segmentation offload left it unset
    if udp + 8 > ip_end:
        return None
    src_port, dst_port, length = struct.unpack_from("!HHH", data, udp)
    if length < 8 or udp + length > ip_end:  # snapped short, or a lying length
        return None
    return Datagram(
        time=time,
        src=(_dotted(data, ip + 12), src_port),
        dst=(_dotted(data, ip + 16), dst_port),
        payload=data[udp + 8 : udp + length],
        offset=record,
    )


def _dotted(data: bytes, at: int) -> str:
    return socket.inet_ntoa(data[at : at + 4])

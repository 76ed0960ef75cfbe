"""The capture reader on golden bytes (RTPengine 10.5's own), every supported framing, and
the bad files it must refuse with the byte offset."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from control_plane.recordings.errors import NotACapture, TruncatedCapture, UnsupportedLinkType
from control_plane.recordings.pcap import CaptureStats, Datagram, iter_datagrams, read_datagrams
from tests.unit.recordings.captures import (
    Frame,
    ethernet,
    ipv4_udp,
    linux_sll,
    linux_sll2,
    pcap,
    pcapng,
)

# The first record of a file RTPengine 10.5.3.5 wrote (recording-format = raw): pcap
# header, then a caller's 160-byte PCMU packet (SSRC 0x1111) to RTPengine's port 30014.
RTPENGINE_FILE = bytes.fromhex(
    "d4c3b2a1020004000000000000000000ffff000065000000"
    "3d3a026b6f860d00c8000000c8000000"
    "450000c800000000401100007fd9e9077fd9e901ca08753e00b40000"
    "800000000000000000001111" + "11" * 160)
SRC, DST = ("192.0.2.7", 4000), ("192.0.2.1", 30000)


def _read(data: bytes, name: str = "x.pcap") -> list[Datagram]:
    return list(iter_datagrams(data, path=Path(name), stats=CaptureStats()))


def test_rtpengine_golden_record() -> None:
    [datagram] = _read(RTPENGINE_FILE)
    assert datagram.src == ("127.217.233.7", 51720)
    assert datagram.dst == ("127.217.233.1", 30014)
    assert datagram.time == pytest.approx(0x6B023A3D + 0x0D866F / 1e6)
    assert datagram.offset == 24
    assert len(datagram.payload) == 172 and datagram.payload[8:12] == b"\x00\x00\x11\x11"


def test_read_datagrams_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "call.pcap"
    path.write_bytes(RTPENGINE_FILE + RTPENGINE_FILE[24:])
    stats = CaptureStats()
    found = read_datagrams(path, stats)
    assert [d.offset for d in found] == [24, 24 + 16 + 200]
    assert (stats.records, stats.skipped, stats.link_types) == (2, 0, {101})


@pytest.mark.parametrize(("link", "frame"), [
    (101, lambda p: p), (12, lambda p: p), (228, lambda p: p),
    (1, ethernet), (1, lambda p: ethernet(p, vlan=42)),
    (113, linux_sll), (276, linux_sll2), (0, lambda p: b"\x02\x00\x00\x00" + p),
])
def test_every_supported_link_type(link: int, frame: object) -> None:
    packet = ipv4_udp(SRC, DST, b"payload")
    assert callable(frame)
    [datagram] = _read(pcap([Frame(10.5, frame(packet))], link=link))
    assert (datagram.src, datagram.dst, datagram.payload) == (SRC, DST, b"payload")
    assert datagram.time == pytest.approx(10.5)


def test_big_endian_and_nanosecond_pcap() -> None:
    data = pcap([Frame(7.123456789, ipv4_udp(SRC, DST, b"x"))], order=">", nano=True)
    [datagram] = _read(data)
    assert datagram.time == pytest.approx(7.123456789, abs=1e-9)


def test_pcapng_with_nanosecond_resolution_and_unknown_blocks() -> None:
    frames = [Frame(100.000000001 + i, ipv4_udp(SRC, DST, bytes([i]))) for i in range(3)]
    found = _read(pcapng(frames), "x.pcapng")
    assert [d.payload for d in found] == [b"\x00", b"\x01", b"\x02"]
    assert found[1].time == pytest.approx(101.000000001, abs=1e-6)
    default = _read(pcapng(frames, tsresol=None), "x.pcapng")  # microseconds
    assert default[2].time == pytest.approx(102.0, abs=1e-5)


def test_not_ipv4_udp_is_skipped_and_counted() -> None:
    frames = [
        Frame(1, ipv4_udp(SRC, DST, b"tcp", protocol=6)),
        Frame(2, ipv4_udp(SRC, DST, b"frag", fragment=0x2000)),  # more fragments follow
        Frame(3, ipv4_udp(SRC, DST, b"tail", fragment=0x0010)),  # a later fragment
        Frame(4, b"\x60" + bytes(47)),  # IPv6
        Frame(5, ethernet(b"")[:12] + b"\x08\x06" + bytes(28)),  # ARP, as raw: garbage
        Frame(6, ipv4_udp(SRC, DST, b"kept")),
        Frame(7, ipv4_udp(SRC, DST, b"snapped")[:30]),  # cut short by a snap length
    ]
    stats = CaptureStats()
    found = list(iter_datagrams(pcap(frames), path=Path("x"), stats=stats))
    assert [d.payload for d in found] == [b"kept"]
    assert (stats.records, stats.skipped) == (7, 6)


def test_truncated_files_name_the_offset() -> None:
    whole = pcap([Frame(1, ipv4_udp(SRC, DST, b"a" * 50)), Frame(2, ipv4_udp(SRC, DST, b"b"))])
    second = 24 + 16 + 28 + 50
    cases = [(whole[:3], 0), (whole[:20], 0), (whole[: second + 10], second),
             (whole[:-1], second)]
    for data, offset in cases:
        with pytest.raises(TruncatedCapture) as caught:
            _read(data, "cut.pcap")
        assert (caught.value.offset, caught.value.path) == (offset, Path("cut.pcap"))
        assert caught.value.error_id == "recording.truncated"
        assert f"cut.pcap at byte {offset}" in str(caught.value)


def test_truncated_pcapng_block() -> None:
    data = pcapng([Frame(1, ipv4_udp(SRC, DST, b"a"))])
    with pytest.raises(TruncatedCapture) as caught:
        _read(data[:-8], "cut.pcapng")
    assert caught.value.offset == len(data) - 12 - 20 - 32  # the EPB's start


def test_not_a_capture() -> None:
    with pytest.raises(NotACapture) as caught:
        _read(b"RIFF....WAVEfmt " + bytes(40), "song.wav")
    assert caught.value.offset == 0 and "0x46464952" in str(caught.value)
    huge = bytearray(pcap([Frame(1, ipv4_udp(SRC, DST, b"a"))]))
    struct.pack_into("<I", huge, 24 + 8, 10_000_000)  # a record "ten megabytes" long
    with pytest.raises(NotACapture) as caught:
        _read(bytes(huge))
    assert caught.value.offset == 24
    no_order = bytearray(pcapng([]))
    no_order[8:12] = b"\x00\x00\x00\x00"
    with pytest.raises(NotACapture, match="byte-order"):
        _read(bytes(no_order))


def test_packet_of_an_undeclared_interface() -> None:
    data = bytearray(pcapng([Frame(1, ipv4_udp(SRC, DST, b"a"))]))
    epb = len(data) - 12 - 20 - 32
    struct.pack_into("<I", data, epb + 8, 3)  # interface 3 of 1
    with pytest.raises(NotACapture, match="undeclared interface 3") as caught:
        _read(bytes(data))
    assert caught.value.offset == epb


@pytest.mark.parametrize("link", [105, 127, 147])  # 802.11, radiotap, a user type
def test_unsupported_link_types(link: int) -> None:
    with pytest.raises(UnsupportedLinkType) as caught:
        _read(pcap([], link=link))
    assert caught.value.offset == 20 and f"link type {link}" in str(caught.value)
    with pytest.raises(UnsupportedLinkType):
        _read(pcapng([], link=link))

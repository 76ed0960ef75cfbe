"""RTP header parsing, payload kinds, and sequence order across the wrap."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.recordings.errors import UnsupportedCodec
from control_plane.recordings.pcap import Datagram
from control_plane.recordings.rtp import (
    Kind,
    in_sequence,
    kind_of,
    parse_header,
    rtp_packets,
    streams,
    unwrap,
)
from tests.unit.recordings.captures import rtp

PATH = Path("call.pcap")


def test_plain_header() -> None:
    header = parse_header(rtp(seq=7, ts=1234, ssrc=0xDEADBEEF, payload=b"abc", pt=8,
                              marker=True))
    assert header is not None
    assert (header.payload_type, header.marker, header.sequence, header.timestamp,
            header.ssrc, header.csrcs, header.payload) == (8, True, 7, 1234, 0xDEADBEEF, (),
                                                           b"abc")


def test_csrcs_extension_and_padding_are_stripped() -> None:
    data = rtp(seq=1, ts=2, ssrc=3, payload=b"audio", csrcs=(10, 20),
               extension=b"\x10\xaa\x00\x00", padding=3)
    header = parse_header(data)
    assert header is not None
    assert header.csrcs == (10, 20) and header.payload == b"audio"


@pytest.mark.parametrize("data", [
    b"",
    b"\x80\x00" + bytes(8),  # shorter than the fixed header
    b"\x40" + bytes(11) + b"x",  # version 1
    rtp(seq=1, ts=1, ssrc=1, payload=b"", pt=72, marker=True),  # RTCP SR (200) muxed
    rtp(seq=1, ts=1, ssrc=1, payload=b"", pt=73, marker=True),  # RTCP RR (201)
    rtp(seq=1, ts=1, ssrc=1, payload=b"", csrcs=(1, 2))[:16],  # CSRC list cut
    rtp(seq=1, ts=1, ssrc=1, payload=b"", extension=b"")[:13],  # extension header cut
    rtp(seq=1, ts=1, ssrc=1, payload=b"ab", extension=b"abcd")[:-4],  # extension too long
    b"\xa0" + rtp(seq=1, ts=1, ssrc=1, payload=b"")[1:] + b"ab\x00",  # P set, padding 0
])
def test_not_rtp_or_malformed_is_none(data: bytes) -> None:
    assert parse_header(data) is None


def test_padding_longer_than_the_payload_is_malformed() -> None:
    data = bytearray(rtp(seq=1, ts=1, ssrc=1, payload=b"ab", padding=2))
    data[-1] = 40
    assert parse_header(bytes(data)) is None


def test_payload_kinds() -> None:
    assert kind_of(0, bytes(160), path=PATH, offset=0) is Kind.PCMU
    assert kind_of(8, bytes(160), path=PATH, offset=0) is Kind.PCMA
    assert kind_of(13, b"\x40", path=PATH, offset=0) is Kind.COMFORT_NOISE
    assert kind_of(101, b"\x0b\x8a\x03\x20", path=PATH, offset=0) is Kind.EVENT
    assert kind_of(96, bytes(8), path=PATH, offset=0) is Kind.EVENT


@pytest.mark.parametrize(("pt", "size"), [(9, 160), (18, 20), (3, 33), (96, 80), (111, 3)])
def test_other_codecs_are_refused_with_file_and_offset(pt: int, size: int) -> None:
    with pytest.raises(UnsupportedCodec) as caught:
        kind_of(pt, bytes(size), path=PATH, offset=4242)
    assert caught.value.error_id == "recording.unsupported_codec"
    assert (caught.value.path, caught.value.offset) == (PATH, 4242)
    assert f"payload type {pt}" in str(caught.value)


def test_unwrap_crosses_the_wrap_both_ways() -> None:
    assert unwrap([65534, 65535, 0, 1], 16) == [65534, 65535, 65536, 65537]
    assert unwrap([1, 0, 65535, 2], 16) == [1, 0, -1, 2]
    assert unwrap([0xFFFFFF60, 0x00000000 + 0x60], 32) == [0xFFFFFF60, 0x100000060]


def _datagrams(packets: list[tuple[float, int, bytes]]) -> list[Datagram]:
    return [Datagram(t, ("10.0.0.7", 4000), ("10.0.0.1", port), data, 24 + i)
            for i, (t, port, data) in enumerate(packets)]


def test_sequence_order_with_wrap_reordering_and_duplicates() -> None:
    order = [65534, 0, 65535, 1, 1, 2]  # arrival order: 0 before 65535, 1 twice
    packets, other = rtp_packets(_datagrams([
        (i * 0.02, 30000, rtp(seq=s, ts=160 * i, ssrc=5, payload=bytes([i]) * 160))
        for i, s in enumerate(order)]), path=PATH)
    assert other == 0
    ordered = in_sequence(packets)
    assert [p.sequence for p in ordered] == [65534, 65535, 0, 1, 2]
    assert ordered[3].payload[0] == 3  # the first copy of 1 is kept


def test_streams_are_keyed_by_port_and_ssrc() -> None:
    packets, other = rtp_packets(_datagrams([
        (0.00, 30000, rtp(seq=1, ts=0, ssrc=1, payload=bytes(160))),
        (0.01, 30014, rtp(seq=9, ts=0, ssrc=1, payload=bytes(160))),
        (0.02, 30000, rtp(seq=2, ts=160, ssrc=1, payload=bytes(160))),
        (0.03, 30000, rtp(seq=1, ts=0, ssrc=2, payload=bytes(160))),
        (0.04, 30000, b"\x00\x01 STUN-ish"),
    ]), path=PATH)
    assert other == 1
    grouped = streams(packets)
    assert sorted(grouped) == [(30000, 1), (30000, 2), (30014, 1)]
    assert [p.sequence for p in grouped[(30000, 1)]] == [1, 2]


def test_an_unsupported_packet_names_its_record_offset() -> None:
    with pytest.raises(UnsupportedCodec) as caught:
        rtp_packets(_datagrams([(0.0, 30000, rtp(seq=1, ts=0, ssrc=1, payload=bytes(160))),
                                (0.02, 30000, rtp(seq=2, ts=160, ssrc=1, payload=bytes(160),
                                                  pt=9))]), path=PATH)
    assert caught.value.offset == 25

"""Streams onto the time line: timestamps, gaps, events, re-anchoring, stereo frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.recordings.errors import RecordingTooLong
from control_plane.recordings.g711 import pcm16, samples_of
from control_plane.recordings.mixdown import Channel, first_arrival, interleave, place, sound_end
from control_plane.recordings.pcap import Datagram
from control_plane.recordings.rtp import RtpPacket, rtp_packets, streams
from tests.unit.recordings.captures import rtp

PATH = Path("call.pcap")
LOUD = b"\x80" * 160  # μ-law 0x80: +32124 in every sample
T0 = 1000.0


def _stream(packets: list[tuple[float, bytes]]) -> list[RtpPacket]:
    datagrams = [Datagram(t, ("10.0.0.7", 4000), ("10.0.0.1", 30000), data, i)
                 for i, (t, data) in enumerate(packets)]
    found, _ = rtp_packets(datagrams, path=PATH)
    [stream] = streams(found).values()
    return stream


def _loud_runs(channel: Channel) -> list[tuple[int, int]]:
    """(start, length) of each run of non-silent samples."""
    runs: list[tuple[int, int]] = []
    for index, sample in enumerate(samples_of(bytes(channel.pcm))):
        if sample == 0:
            continue
        if runs and runs[-1][0] + runs[-1][1] == index:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((index, 1))
    return runs


def test_a_lost_packet_leaves_silence_of_its_length() -> None:
    stream = _stream([(T0 + 0.02 * i, rtp(seq=i, ts=160 * i, ssrc=1, payload=LOUD))
                      for i in (0, 1, 3)])  # seq 2 lost
    channel = Channel()
    assert place(channel, stream, origin=T0, path=PATH) == 3
    assert _loud_runs(channel) == [(0, 320), (480, 160)]


def test_jitter_does_not_move_audio_and_reordering_is_undone() -> None:
    stream = _stream([(T0 + 0.000, rtp(seq=0, ts=0, ssrc=1, payload=LOUD)),
                      (T0 + 0.075, rtp(seq=2, ts=320, ssrc=1, payload=LOUD)),
                      (T0 + 0.076, rtp(seq=1, ts=160, ssrc=1, payload=b"\xff" * 160))])
    channel = Channel()
    place(channel, stream, origin=T0, path=PATH)
    assert _loud_runs(channel) == [(0, 160), (320, 160)]  # 0xFF (silence) in the middle


def test_stream_starts_at_its_first_arrival() -> None:
    stream = _stream([(T0 + 0.5, rtp(seq=0, ts=99_999, ssrc=1, payload=LOUD))])
    channel = Channel()
    place(channel, stream, origin=T0, path=PATH)
    assert _loud_runs(channel) == [(4000, 160)]


def test_events_and_comfort_noise_carry_no_audio_but_keep_order() -> None:
    stream = _stream([
        (T0 + 0.00, rtp(seq=10, ts=0, ssrc=1, payload=LOUD)),
        (T0 + 0.02, rtp(seq=11, ts=160, ssrc=1, payload=b"\x0b\x8a\x00\xa0", pt=101)),
        (T0 + 0.04, rtp(seq=12, ts=160, ssrc=1, payload=b"\x0b\x8a\x01\x40", pt=101)),
        (T0 + 0.06, rtp(seq=13, ts=480, ssrc=1, payload=b"\x40", pt=13)),
        (T0 + 0.08, rtp(seq=14, ts=640, ssrc=1, payload=LOUD)),
    ])
    channel = Channel()
    assert place(channel, stream, origin=T0, path=PATH) == 2
    assert _loud_runs(channel) == [(0, 160), (640, 160)]


def test_a_timestamp_jump_re_anchors_at_the_arrival() -> None:
    stream = _stream([(T0, rtp(seq=0, ts=0, ssrc=1, payload=LOUD)),
                      (T0 + 0.02, rtp(seq=1, ts=3_000_000, ssrc=1, payload=LOUD)),
                      (T0 + 0.04, rtp(seq=2, ts=3_000_160, ssrc=1, payload=LOUD))])
    channel = Channel()
    place(channel, stream, origin=T0, path=PATH)
    assert _loud_runs(channel) == [(0, 480)]


def test_timestamp_wrap_is_continuous() -> None:
    start = 0xFFFFFFFF - 159
    stream = _stream([(T0 + 0.02 * i, rtp(seq=i, ts=start + 160 * i, ssrc=1, payload=LOUD))
                      for i in range(3)])
    channel = Channel()
    place(channel, stream, origin=T0, path=PATH)
    assert _loud_runs(channel) == [(0, 480)]


def test_window_cuts_before_origin_and_after_limit() -> None:
    stream = _stream([(T0 - 0.02 + 0.02 * i, rtp(seq=i, ts=160 * i, ssrc=1, payload=LOUD))
                      for i in range(5)])
    channel = Channel(limit=200)
    place(channel, stream, origin=T0, path=PATH)
    assert _loud_runs(channel) == [(0, 200)]


def test_audio_far_from_the_origin_is_refused() -> None:
    stream = _stream([(T0 + 13 * 3600, rtp(seq=0, ts=0, ssrc=1, payload=LOUD))])
    with pytest.raises(RecordingTooLong) as caught:
        place(Channel(), stream, origin=T0, path=PATH)
    assert caught.value.offset == 0 and caught.value.error_id == "recording.too_long"


def test_interleave_pads_the_shorter_channel() -> None:
    left, right = Channel(), Channel()
    left.write(0, b"\x01\x00\x02\x00", path=PATH, offset=0)
    right.write(0, b"\x09\x00", path=PATH, offset=0)
    assert interleave(left, right) == b"\x01\x00\x09\x00\x02\x00\x00\x00"


def test_first_arrival_ignores_events() -> None:
    stream = _stream([(T0, rtp(seq=0, ts=0, ssrc=1, payload=b"\x0b\x8a\x00\xa0", pt=101)),
                      (T0 + 1, rtp(seq=1, ts=0, ssrc=1, payload=LOUD))])
    assert first_arrival([stream]) == T0 + 1
    assert first_arrival([stream[:1]]) is None


def test_sound_end_finds_the_last_sample_above_the_threshold() -> None:
    assert sound_end(pcm16([0, 3000, 0, -600, 100, -511, 0])) == 4
    assert sound_end(pcm16([10, -20, 511])) == 0
    assert sound_end(b"") == 0
    assert sound_end(pcm16([-32768])) == 1

"""The mixing leg's arithmetic: G.711 both laws, RTP headers, the mix and the jitter buffer."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

from control_plane.media.mixer import g711
from control_plane.media.mixer.frames import (
    FRAME_SAMPLES,
    RtpError,
    RtpPacket,
    build_rtp,
    mix,
    mix_payloads,
    parse_rtp,
    seq_newer,
)
from control_plane.media.mixer.participant import MAX_BUFFER, PREBUFFER, Participant

EVERY_SAMPLE = np.arange(65536, dtype=np.uint16).view(np.int16)


def _tone(freq: float, amplitude: int = 8000) -> np.ndarray:
    n = np.arange(FRAME_SAMPLES)
    return (amplitude * np.sin(2 * np.pi * freq * n / 8000)).astype(np.int16)


def _const(value: int) -> np.ndarray:
    return np.full(FRAME_SAMPLES, value, dtype=np.int16)


@pytest.mark.parametrize("law", [g711.PCMU, g711.PCMA])
def test_every_code_decodes_and_encodes_back_to_itself(law: str) -> None:
    codes = bytes(range(256))
    again = g711.encode(law, g711.decode(law, codes))
    # μ-law has two zeros (0x7F = -0, 0xFF = +0): -0 comes back as +0, nothing else moves.
    expected = codes.replace(b"\x7f", b"\xff") if law == g711.PCMU else codes
    assert again == expected


@pytest.mark.parametrize("law", [g711.PCMU, g711.PCMA])
def test_round_trip_error_stays_within_the_laws_step(law: str) -> None:
    decoded = g711.decode(law, g711.encode(law, EVERY_SAMPLE)).astype(np.int32)
    error = np.abs(decoded - EVERY_SAMPLE.astype(np.int32))
    # The largest segment's step is 1024 (μ) / 1024 (A); half of that plus the clip region.
    assert error[np.abs(EVERY_SAMPLE.astype(np.int32)) < 32000].max() <= 1024
    assert g711.encode(law, _const(0)) == bytes([g711.SILENCE[law]]) * FRAME_SAMPLES


@pytest.mark.parametrize(("law", "name"), [(g711.PCMU, "ulaw"), (g711.PCMA, "alaw")])
def test_tables_match_the_standard_library_codec(law: str, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the stdlib's on 3.11-3.12, audioop-lts (dev extra) on 3.13
    assert g711.encode(law, EVERY_SAMPLE) == getattr(audioop, f"lin2{name}")(
        EVERY_SAMPLE.tobytes(), 2)
    codes = bytes(range(256))
    reference = np.frombuffer(getattr(audioop, f"{name}2lin")(codes, 2), dtype=np.int16)
    assert (g711.decode(law, codes) == reference).all()


def test_whisper_matrix_keeps_the_supervisor_from_the_caller() -> None:
    frames = {"caller": _const(100), "agent": _const(20), "supervisor": _const(3)}
    hears = {"caller": frozenset({"agent"}), "agent": frozenset({"caller", "supervisor"}),
             "supervisor": frozenset({"caller", "agent"})}
    out = mix(frames, hears)
    assert (out["caller"] == 20).all()
    assert (out["agent"] == 103).all()
    assert (out["supervisor"] == 120).all()


def test_nobody_hears_themselves_and_silence_when_nobody_talks() -> None:
    everyone = frozenset({"a", "b", "c"})
    out = mix({"a": _const(7), "b": None, "c": None}, dict.fromkeys(everyone, everyone))
    assert (out["a"] == 0).all()  # only a spoke: a hears silence, not itself
    assert (out["b"] == 7).all() and (out["c"] == 7).all()
    quiet = mix({"a": None, "b": None}, {"a": frozenset({"b"}), "b": frozenset({"a"})})
    assert all((frame == 0).all() and frame.dtype == np.int16 for frame in quiet.values())


def test_loud_sums_clip_instead_of_wrapping() -> None:
    out = mix({"a": _const(30000), "b": _const(20000), "c": _const(-30000),
               "d": _const(-20000)},
              {"x": frozenset({"a", "b"}), "y": frozenset({"c", "d"}),
               "z": frozenset({"a", "c"})})
    assert (out["x"] == 32767).all()
    assert (out["y"] == -32768).all()
    assert (out["z"] == 0).all()


def test_payload_mix_decodes_and_encodes_with_each_participants_law() -> None:
    tone = _tone(440)
    payloads = {"caller": g711.encode(g711.PCMU, tone), "agent": None}
    out = mix_payloads(payloads, {"caller": g711.PCMU, "agent": g711.PCMA},
                       {"agent": frozenset({"caller"}), "caller": frozenset({"agent"})})
    heard = g711.decode(g711.PCMA, out["agent"]).astype(np.int32)
    assert np.abs(heard - tone).max() < 300  # two quantisations of an 8000-peak tone
    assert out["caller"] == bytes([g711.SILENCE[g711.PCMU]]) * FRAME_SAMPLES


def _rtp(seq: int, payload: bytes, pt: int = 0, ts: int = 0) -> bytes:
    return build_rtp(RtpPacket(payload_type=pt, seq=seq, timestamp=ts, ssrc=1,
                               payload=payload))


def test_rtp_header_round_trip_and_optional_parts() -> None:
    packet = RtpPacket(payload_type=8, seq=65535, timestamp=2**32 - 1, ssrc=0xDEADBEEF,
                       payload=b"\xd5" * 160, marker=True)
    assert parse_rtp(build_rtp(packet)) == packet
    # Two CSRCs, a one-word header extension and 3 bytes of padding around a 4-byte payload.
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0, 5, 160, 9)
    data = header + b"\0" * 8 + struct.pack("!HH", 0xBEDE, 1) + b"\0" * 4 + b"abcd" + \
        b"\0\0\3"
    assert parse_rtp(data).payload == b"abcd"
    for bad in (b"\x80\x00", b"\x40" + b"\0" * 11, b"\x90" + b"\0" * 11):
        with pytest.raises(RtpError):
            parse_rtp(bad)
    assert seq_newer(0, 65535) and not seq_newer(65535, 0) and not seq_newer(5, 5)


def test_jitter_buffer_waits_plays_drops_late_and_bounds_delay() -> None:
    p = Participant("caller", g711.PCMU)
    frame = g711.encode(g711.PCMU, _const(1000))
    p.receive(_rtp(10, frame), ("192.0.2.1", 4000))
    assert p.frame() is None  # still prebuffering
    p.receive(_rtp(11, frame), ("192.0.2.1", 4000))
    assert p.remote == ("192.0.2.1", 4000)
    got = p.frame()
    assert got is not None and abs(int(got[0]) - 1000) < 40
    p.receive(_rtp(11, frame), ("192.0.2.1", 4000))  # duplicate
    p.receive(_rtp(12, frame, pt=101), ("192.0.2.1", 4000))  # DTMF event
    p.receive(b"junk", ("192.0.2.1", 4000))
    assert p.ignored == 3
    assert p.frame() is not None and p.frame() is None  # one left, then an underrun
    assert p.underruns == 1
    for seq in range(13, 13 + MAX_BUFFER + 5):
        p.receive(_rtp(seq, frame), ("192.0.2.1", 4000))
    assert p.dropped_samples == 5 * FRAME_SAMPLES
    assert sum(p.frame() is not None for _ in range(MAX_BUFFER + 5)) == MAX_BUFFER
    assert PREBUFFER >= 1


def test_outgoing_stream_has_its_own_ssrc_seq_and_timestamps() -> None:
    p = Participant("agent", g711.PCMA)
    first, second = parse_rtp(p.packet(_const(0))), parse_rtp(p.packet(_const(0)))
    assert first.marker and not second.marker
    assert first.payload_type == second.payload_type == 8
    assert first.ssrc == second.ssrc == p.ssrc
    assert second.seq == (first.seq + 1) & 0xFFFF
    assert second.timestamp == (first.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
    assert first.payload == bytes([0xD5]) * FRAME_SAMPLES
    p.skip(3)
    assert parse_rtp(p.packet(_const(0))).timestamp == (second.timestamp + 4 * 160) % 2**32
    with pytest.raises(ValueError, match="PCMU or PCMA"):
        Participant("x", "G722")

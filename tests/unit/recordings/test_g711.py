"""G.711 tables against the reference coder's values (taken from audioop on Python 3.11)."""

from __future__ import annotations

import pytest

from control_plane.recordings.g711 import (
    ALAW_TABLE,
    ULAW_TABLE,
    alaw_code,
    decode_alaw,
    decode_ulaw,
    encode_alaw,
    encode_ulaw,
    pcm16,
    samples_of,
    ulaw_code,
)

ULAW_KNOWN = {0x00: -32124, 0x7F: 0, 0x80: 32124, 0xFF: 0, 0x10: -15996, 0x9A: 10876}
ALAW_KNOWN = {0x00: -5504, 0x55: -8, 0xD5: 8, 0x80: 5504, 0xAA: 32256, 0x2A: -32256,
              0x13: -2880}
LINEAR = [0, 1000, -1000, 32767, -32768, 100]
ULAW_OF_LINEAR = [255, 206, 78, 128, 0, 242]
ALAW_OF_LINEAR = [213, 250, 122, 170, 42, 211]


@pytest.mark.parametrize(("code", "value"), sorted(ULAW_KNOWN.items()))
def test_ulaw_decodes_to_the_reference_value(code: int, value: int) -> None:
    assert ULAW_TABLE[code] == value
    assert samples_of(decode_ulaw(bytes([code]))) == [value]


@pytest.mark.parametrize(("code", "value"), sorted(ALAW_KNOWN.items()))
def test_alaw_decodes_to_the_reference_value(code: int, value: int) -> None:
    assert ALAW_TABLE[code] == value
    assert samples_of(decode_alaw(bytes([code]))) == [value]


def test_encoders_match_the_reference_coder() -> None:
    assert list(encode_ulaw(LINEAR)) == ULAW_OF_LINEAR
    assert list(encode_alaw(LINEAR)) == ALAW_OF_LINEAR


def test_tables_are_odd_symmetric_and_monotonic() -> None:
    # μ-law: codes 0x00-0x7F negative (descending magnitude), 0x80-0xFF their mirror.
    for code in range(128):
        assert ULAW_TABLE[code] == -ULAW_TABLE[code | 0x80]
        assert ALAW_TABLE[code] == -ALAW_TABLE[code | 0x80]
    negative = [ULAW_TABLE[c] for c in range(128)]
    assert negative == sorted(negative)
    assert max(map(abs, ULAW_TABLE)) == 32124 and max(map(abs, ALAW_TABLE)) == 32256


def test_every_code_survives_decode_then_encode() -> None:
    # 0x7F is μ-law's negative zero: it decodes to 0, which encodes as 0xFF.
    assert all(ulaw_code(ULAW_TABLE[c]) == c for c in range(256) if c != 0x7F)
    assert all(alaw_code(ALAW_TABLE[c]) == c for c in range(256))


def test_round_trip_error_stays_within_the_quantisation_step() -> None:
    samples = list(range(-32000, 32000, 97))
    for decode, encode in ((decode_ulaw, encode_ulaw), (decode_alaw, encode_alaw)):
        back = samples_of(decode(encode(samples)))
        for original, restored in zip(samples, back, strict=True):
            # The step grows with the magnitude: 1/16 of it at most (segment size).
            assert abs(original - restored) <= max(abs(original) // 16, 16) + 8


def test_decoding_is_little_endian_pcm16() -> None:
    assert decode_ulaw(b"\x00\xff") == pcm16([-32124, 0]) == b"\x84\x82\x00\x00"
    assert len(decode_alaw(bytes(160))) == 320
    assert samples_of(b"\x01") == []  # a stray odd byte is not a sample

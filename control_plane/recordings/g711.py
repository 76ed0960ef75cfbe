"""G.711 μ-law and A-law (ITU-T G.711), by table: no ``audioop`` (gone in Python 3.13).

Decoding goes through ``bytes.translate`` twice (low byte, high byte of each 16-bit sample)
and an interleave by slice assignment, so a call's worth of audio is decoded at C speed
rather than one Python operation per sample. Encoders exist for the tests' tones and for a
future mixing leg; they are per sample and meant for short buffers.
"""

from __future__ import annotations

import sys
from array import array

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159  # in the coder's 14-bit scale
_ALAW_SEGMENT_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def ulaw_sample(code: int) -> int:
    """The 16-bit linear sample of one μ-law byte."""
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = ((((code & 0x0F) << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return -magnitude if code & 0x80 else magnitude


def alaw_sample(code: int) -> int:
    """The 16-bit linear sample of one A-law byte."""
    code ^= 0x55
    segment = (code >> 4) & 0x07
    magnitude = (code & 0x0F) << 4
    magnitude = magnitude + 8 if segment == 0 else (magnitude + 0x108) << (segment - 1)
    return magnitude if code & 0x80 else -magnitude


def _tables(sample: list[int]) -> tuple[bytes, bytes]:
    """translate() tables giving the low and the high byte of each code's sample."""
    unsigned = [value & 0xFFFF for value in sample]
    return bytes(v & 0xFF for v in unsigned), bytes(v >> 8 for v in unsigned)


#: Linear value of every code, by code.
ULAW_TABLE: tuple[int, ...] = tuple(ulaw_sample(code) for code in range(256))
ALAW_TABLE: tuple[int, ...] = tuple(alaw_sample(code) for code in range(256))
_ULAW_BYTES = _tables(list(ULAW_TABLE))
_ALAW_BYTES = _tables(list(ALAW_TABLE))


def _decode(payload: bytes, tables: tuple[bytes, bytes]) -> bytes:
    low, high = tables
    out = bytearray(2 * len(payload))
    out[0::2] = payload.translate(low)
    out[1::2] = payload.translate(high)
    return bytes(out)


def decode_ulaw(payload: bytes) -> bytes:
    """μ-law bytes as 16-bit little-endian PCM (two bytes per input byte)."""
    return _decode(payload, _ULAW_BYTES)


def decode_alaw(payload: bytes) -> bytes:
    """A-law bytes as 16-bit little-endian PCM (two bytes per input byte)."""
    return _decode(payload, _ALAW_BYTES)


def ulaw_code(sample: int) -> int:
    """The μ-law byte of one 16-bit linear sample (the reference coder's rounding)."""
    value = sample >> 2  # μ-law codes 14 bits
    if value < 0:
        mask, value = 0x7F, -value
    else:
        mask = 0xFF
    value = min(value, _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    segment = max(value.bit_length() - 6, 0)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def alaw_code(sample: int) -> int:
    """The A-law byte of one 16-bit linear sample."""
    value = sample >> 3  # A-law codes 13 bits
    if value >= 0:
        mask = 0xD5
    else:
        mask, value = 0x55, -value - 1
    segment = next((i for i, end in enumerate(_ALAW_SEGMENT_ENDS) if value <= end), 8)
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


def pcm16(samples: list[int]) -> bytes:
    """Signed samples as 16-bit little-endian PCM (values are clipped to 16 bits)."""
    data = array("h", (max(-32768, min(32767, s)) for s in samples))
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def samples_of(pcm: bytes) -> list[int]:
    """16-bit little-endian PCM as a list of signed samples."""
    data = array("h")
    data.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        data.byteswap()
    return data.tolist()


def encode_ulaw(samples: list[int]) -> bytes:
    """Signed 16-bit samples as μ-law bytes."""
    return bytes(ulaw_code(s) for s in samples)


def encode_alaw(samples: list[int]) -> bytes:
    """Signed 16-bit samples as A-law bytes."""
    return bytes(alaw_code(s) for s in samples)

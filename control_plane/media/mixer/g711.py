"""G.711 (ITU-T) μ-law and A-law as lookup tables over numpy arrays: pure, no I/O.

Decoding is one table of 256 linear values per law; encoding indexes a 65,536-entry table
with the 16-bit sample's bit pattern, so a 20 ms frame is two vectorised lookups.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]

PCMU: Final = "PCMU"
PCMA: Final = "PCMA"
PAYLOAD_TYPES: Final = {PCMU: 0, PCMA: 8}  # RFC 3551 static payload types
SILENCE: Final = {PCMU: 0xFF, PCMA: 0xD5}  # the code of a zero sample
_ULAW_CLIP, _ULAW_BIAS = 8159, 0x84
_ULAW_SEGMENT_ENDS: Final = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def _ulaw_encode(sample: int) -> int:
    # The ITU-T G.191 reference: 14-bit magnitude, clipped, biased, then segment + mantissa.
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    value = min(-value if value < 0 else value, _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    segment = next((i for i, end in enumerate(_ULAW_SEGMENT_ENDS) if value <= end), 8)
    if segment == 8:  # beyond the last segment: the largest code
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def _ulaw_decode(code: int) -> int:
    code = ~code & 0xFF
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (((mantissa << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return -magnitude if code & 0x80 else magnitude


def _alaw_encode(sample: int) -> int:
    # A-law's sign bit set means positive; negative samples are coded from -sample - 1.
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(sample if sample >= 0 else -sample - 1, 32767) >> 3  # 13-bit
    if magnitude < 32:
        exponent, mantissa = 0, magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        mantissa = (magnitude >> exponent) & 0x0F
    return (sign | (exponent << 4) | mantissa) ^ 0x55


def _alaw_decode(code: int) -> int:
    code ^= 0x55
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = ((mantissa << 4) + 8 if exponent == 0
                 else ((mantissa << 4) + 0x108) << (exponent - 1))
    return magnitude if code & 0x80 else -magnitude


def _tables() -> dict[str, tuple[Samples, npt.NDArray[np.uint8]]]:
    every_sample = np.arange(65536, dtype=np.uint16).view(np.int16)
    tables = {}
    for law, encode, decode in ((PCMU, _ulaw_encode, _ulaw_decode),
                                (PCMA, _alaw_encode, _alaw_decode)):
        decoded = np.array([decode(code) for code in range(256)], dtype=np.int16)
        encoded = np.array([encode(int(s)) for s in every_sample], dtype=np.uint8)
        tables[law] = (decoded, encoded)
    return tables


_TABLES: Final = _tables()


def decode(codec: str, payload: bytes) -> Samples:
    """Linear 16-bit samples of a G.711 ``payload`` (one byte per sample)."""
    return _TABLES[codec][0][np.frombuffer(payload, dtype=np.uint8)]


def encode(codec: str, samples: Samples) -> bytes:
    """G.711 bytes of 16-bit ``samples``."""
    return _TABLES[codec][1][samples.astype(np.int16, copy=False).view(np.uint16)].tobytes()


def codec_of(payload_type: int) -> str | None:
    """The G.711 law of a static payload type, or None for anything else."""
    return next((name for name, pt in PAYLOAD_TYPES.items() if pt == payload_type), None)

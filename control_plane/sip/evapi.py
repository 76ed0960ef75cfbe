"""Kamailio evapi framing: netstrings (``<len>:<payload>,``) carrying JSON objects."""

from __future__ import annotations

import json
from typing import Any


class NetstringError(ValueError):
    """The byte stream is not a sequence of netstrings; the connection must be reset."""


class NetstringDecoder:
    """Incremental decoder: feed bytes as they arrive, get complete payloads out."""

    MAX_LENGTH = 1 << 20

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return every payload completed by it."""
        self._buffer += data
        out: list[bytes] = []
        while True:
            colon = self._buffer.find(b":")
            if colon < 0:
                if len(self._buffer) > 10:
                    raise NetstringError("no length prefix within 10 bytes")
                return out
            digits = bytes(self._buffer[:colon])
            if not digits.isdigit():
                raise NetstringError(f"bad netstring length {digits[:20]!r}")
            length = int(digits)
            if length > self.MAX_LENGTH:
                raise NetstringError(f"netstring of {length} bytes is too long")
            end = colon + 1 + length
            if len(self._buffer) < end + 1:
                return out
            if self._buffer[end] != ord(","):
                raise NetstringError("netstring not terminated by ','")
            out.append(bytes(self._buffer[colon + 1 : end]))
            del self._buffer[: end + 1]


def decode_event(payload: bytes) -> dict[str, Any]:
    """One evapi payload as a JSON object; ValueError names what is wrong."""
    try:
        value = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise ValueError(f"evapi payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("evapi payload is not a JSON object")
    return value


def encode_netstring(payload: bytes) -> bytes:
    """Frame ``payload`` as a netstring."""
    return str(len(payload)).encode() + b":" + payload + b","

"""Shared helpers of the sipstack unit tests: the RFC 4475 torture messages."""

from __future__ import annotations

import os
from pathlib import Path

# ../shared/conformance next to the checkout, as DESIGN.md §9 names it.
RFC4475 = Path(
    os.environ.get(
        "SIP_RFC4475_DIR",
        Path(__file__).resolve().parents[4] / "shared" / "conformance" / "rfc4475",
    )
)


def torture(name: str) -> bytes:
    """The raw bytes of one RFC 4475 message, by its RFC name."""
    return (RFC4475 / f"{name}.dat").read_bytes()

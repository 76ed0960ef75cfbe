"""Typed failures of the RTPengine ng client.

Callers decide per failure kind: a timeout means RTPengine may be down (the caller gets a
defined outcome, the call controller keeps serving other calls), an ``NgError`` is RTPengine
refusing one request (unknown call-id, a file it cannot play), a protocol error is a bug or a
foreign process on the ng port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class NgFailure(Exception):
    """Base of every ng client failure; ``command`` names the ng command that failed."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(message)
        self.command = command


class NgTimeout(NgFailure):
    """No reply after every attempt (RTPengine down, overloaded or unreachable)."""

    def __init__(self, command: str, address: tuple[str, int], attempts: int) -> None:
        super().__init__(
            command,
            f"ng {command!r} to {address[0]}:{address[1]}: no reply after {attempts} attempt(s)",
        )
        self.address = address
        self.attempts = attempts


class NgError(NgFailure):
    """RTPengine answered ``result: error`` (or a reply that means the same, see play media)."""

    def __init__(self, command: str, reason: str, reply: Mapping[str, Any] | None = None) -> None:
        super().__init__(command, f"ng {command!r} failed: {reason}")
        self.reason = reason
        self.reply: Mapping[str, Any] = reply or {}


class NgProtocolError(NgFailure):
    """The reply was not ``<cookie> <json object>`` or carried no ``result``."""

    def __init__(self, command: str, detail: str) -> None:
        super().__init__(command, f"ng {command!r}: bad reply: {detail}")
        self.detail = detail


class NgClosed(NgFailure):
    """The client was closed while the request was pending (or before it was sent)."""

    def __init__(self, command: str) -> None:
        super().__init__(command, f"ng {command!r}: client closed")

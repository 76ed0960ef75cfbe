"""Where a message came from or goes to, and the branch/tag tokens the stack invents."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from control_plane.sipstack.message import SipMessage

MAGIC_COOKIE = "z9hG4bK"


@dataclass(frozen=True, slots=True)
class Peer:
    """A remote transport address: host, port and transport name (UDP or TCP)."""

    host: str
    port: int
    transport: str = "UDP"

    @property
    def reliable(self) -> bool:
        """True for stream transports, where RFC 3261 retransmission timers are off."""
        return self.transport.upper() != "UDP"


# How the transaction layer hands a message to the transport; may raise OSError.
Sender = Callable[[SipMessage, Peer], None]


def new_branch() -> str:
    """A fresh RFC 3261 branch (magic cookie + 64 random bits)."""
    return MAGIC_COOKIE + secrets.token_hex(8)


def new_tag() -> str:
    """A fresh From/To tag."""
    return secrets.token_hex(6)


def new_call_id(host: str) -> str:
    """A fresh Call-ID, unique per host."""
    return f"{secrets.token_hex(12)}@{host}"

"""What every call of one controller shares: SIP, media, ACD, configuration, records."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from control_plane.calls.acd_driver import AcdDriver
from control_plane.calls.center import CenterConfig
from control_plane.calls.metrics import CallMetrics
from control_plane.ivr.prompts import PromptLibrary
from control_plane.media.ng import NgClient
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.ua import UserAgent

if TYPE_CHECKING:
    from control_plane.calls.agent_leg import AgentLeg


class RecordSink(Protocol):
    """Where call records go (the analytics event sink in production)."""

    async def write(self, table: str, row: Mapping[str, object]) -> None:
        """Durably accept one record (raise if it could not be accepted)."""


Webhook = Callable[[str, dict[str, str], float], Awaitable[str | None]]


@dataclass
class ControllerContext:
    """Shared by the controller and its call sessions."""

    ua: UserAgent
    ng: NgClient
    center: CenterConfig
    prompts: PromptLibrary
    acd: AcdDriver
    records: RecordSink
    core: Peer  # where agent legs and callbacks enter the tiers
    node: str = "controller"
    webhook: Webhook | None = None
    key_salt: str = "callcenter"
    ring_timeout_s: float = 15.0
    wall: Callable[[], float] = field(default=time.time)
    legs: dict[str, AgentLeg] = field(default_factory=dict)  # by the leg's own Call-ID
    metrics: CallMetrics = field(default_factory=lambda: CallMetrics(None))

    def pseudonym(self, number: str) -> str:
        """A caller's stable pseudonymous key (analysts never read numbers, DESIGN §8)."""
        if not number:
            return ""
        return hashlib.sha256(f"{self.key_salt}:{number}".encode()).hexdigest()[:16]

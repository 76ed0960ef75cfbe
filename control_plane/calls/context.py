"""What every call of one controller shares: SIP, media, ACD, configuration, records."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import structlog

from control_plane.calls.acd_driver import AcdDriver
from control_plane.calls.center import CenterConfig
from control_plane.calls.metrics import CallMetrics
from control_plane.events.bus import EventBus, EventKind, LiveEvent
from control_plane.ivr.prompts import PromptLibrary
from control_plane.media.ng import NgClient
from control_plane.recordings.converter import CallRecording, VoicemailMessage
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.ua import UserAgent

if TYPE_CHECKING:
    from control_plane.calls.agent_leg import AgentLeg
    from control_plane.calls.session import CallSession


class RecordSink(Protocol):
    """Where call records go (the analytics event sink in production)."""

    async def write(self, table: str, row: Mapping[str, object]) -> None:
        """Durably accept one record (raise if it could not be accepted)."""


Webhook = Callable[[str, dict[str, str], float], Awaitable[str | None]]
Notifier = Callable[[str, Mapping[str, object]], Awaitable[None]]


class SessionKeeping(Protocol):
    """Where call sessions are kept for another replica (calls/failover/keeper.py)."""

    def save(self, session: CallSession) -> None:
        """Keep the session's current state."""
        ...

    def drop(self, call_id: str) -> None:
        """Forget an ended call."""
        ...


class Recorder(Protocol):
    """Turns RTPengine's capture of a call into an indexed WAV after hangup
    (control_plane.recordings.converter.RecordingConverter)."""

    async def convert_call(self, call: CallRecording) -> object:
        """The answered call's stereo WAV."""

    async def convert_voicemail(self, message: VoicemailMessage) -> object:
        """The caller's message as a mono WAV."""


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
    notify: Notifier | None = None  # tells a queue's voicemail hook of a new message
    key_salt: str = "callcenter"
    ring_timeout_s: float = 15.0
    wall: Callable[[], float] = field(default=time.time)
    legs: dict[str, AgentLeg] = field(default_factory=dict)  # by the leg's own Call-ID
    metrics: CallMetrics = field(default_factory=lambda: CallMetrics(None))
    recorder: Recorder | None = None
    record_calls: bool = True  # every answered call (the tenant's notice is played first)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    bus: EventBus | None = None  # live events for desks, wallboards and CTI clients
    keeper: SessionKeeping | None = None  # calls kept in the shared store (failover)

    def keep(self, session: CallSession) -> None:
        """A call changed phase: keep its state where a standby replica can take it."""
        if self.keeper is not None:
            self.keeper.save(session)

    def forget(self, call_id: str) -> None:
        """A call ended: nothing left to take over."""
        if self.keeper is not None:
            self.keeper.drop(call_id)

    def publish(self, kind: EventKind, /, *, tenant: str, call_id: str,
                queue: str | None = None, agent: str | None = None,
                **data: object) -> None:
        """Tell the live event bus what just happened to a call (never blocks)."""
        if self.bus is not None:
            self.bus.publish(LiveEvent(kind=kind, tenant=tenant, queue=queue or None,
                                       agent=agent or None, call_id=call_id, data=data))

    def in_background(self, work: Coroutine[object, object, object]) -> None:
        """Run ``work`` beyond the call that started it (conversions after hangup)."""
        async def run() -> None:
            try:
                await work
            except Exception as exc:  # logged with its cause; the call itself is over
                structlog.get_logger(__name__).error("background work failed", error=str(exc))

        task = asyncio.get_running_loop().create_task(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def pseudonym(self, number: str) -> str:
        """A caller's stable pseudonymous key (analysts never read numbers, DESIGN §8)."""
        if not number:
            return ""
        return hashlib.sha256(f"{self.key_salt}:{number}".encode()).hexdigest()[:16]

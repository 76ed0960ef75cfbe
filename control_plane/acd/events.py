"""Events the adapters feed into the engine; each is a fact that already happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    PriorityClass,
    QueueConfig,
    TenantConfig,
)


@dataclass(frozen=True, slots=True)
class TenantUpserted:
    """A tenant was created or its configuration replaced."""

    config: TenantConfig


@dataclass(frozen=True, slots=True)
class QueueUpserted:
    """A queue was created or its configuration replaced."""

    config: QueueConfig


@dataclass(frozen=True, slots=True)
class CallArrived:
    """A caller entered a queue (after the IVR, if any)."""

    call: CallRef
    queue: str
    caller: str = ""
    priority_class: PriorityClass | None = None
    priority: int = 0
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """The caller hung up before being connected."""

    call: CallRef


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """The caller chose to be called back; the call keeps its place in the queue."""

    call: CallRef


@dataclass(frozen=True, slots=True)
class OfferAccepted:
    """The agent answered the offered call (the call is answered)."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class OfferRejected:
    """The agent declined the offer (busy here, rejected on the phone)."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class OfferTimedOut:
    """The agent's phone rang without answer (RONA) as reported by the call controller."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A connected call was hung up by either side."""

    call: CallRef


@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    """An agent logged in; it starts ready unless a pause reason is given."""

    agent: AgentRef
    profile: AgentProfile
    pause_reason: str | None = None
    seat_registered: bool = True


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    """An agent logged out."""

    agent: AgentRef


@dataclass(frozen=True, slots=True)
class AgentReady:
    """An agent made itself available."""

    agent: AgentRef


@dataclass(frozen=True, slots=True)
class AgentPaused:
    """An agent paused with a reason from its tenant's list."""

    agent: AgentRef
    reason: str


@dataclass(frozen=True, slots=True)
class WrapUpEnded:
    """An agent finished after-call work before the wrap-up timer."""

    agent: AgentRef


@dataclass(frozen=True, slots=True)
class SeatRegistered:
    """The agent's seat registered with the registrar."""

    agent: AgentRef


@dataclass(frozen=True, slots=True)
class SeatUnregistered:
    """The agent's seat registration expired or was removed."""

    agent: AgentRef


@dataclass(frozen=True, slots=True)
class SeatQualityChanged:
    """New network-quality figures for the agent's seat."""

    agent: AgentRef
    mos: float
    jitter_ms: float = 0.0
    loss_pct: float = 0.0


@dataclass(frozen=True, slots=True)
class TimerFired:
    """Time passed; the engine runs every internal timer due by `now`.

    Any event runs due timers first, so this is only needed when nothing else happens.
    """


Event = (
    TenantUpserted
    | QueueUpserted
    | CallArrived
    | CallAbandoned
    | CallbackRequested
    | OfferAccepted
    | OfferRejected
    | OfferTimedOut
    | CallEnded
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentReady
    | AgentPaused
    | WrapUpEnded
    | SeatRegistered
    | SeatUnregistered
    | SeatQualityChanged
    | TimerFired
)

"""Commands the engine emits and the records it keeps; adapters act on them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from control_plane.acd.model import AgentRef, CallOutcome, CallRef, QueueRef


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """Estimated wait in seconds with a band (10th and 90th percentile)."""

    expected_s: float
    low_s: float
    high_s: float


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Ring the agent with this call; the engine times the offer out after `ring_timeout_s`."""

    call: CallRef
    agent: AgentRef
    queue: QueueRef
    ring_timeout_s: float
    callback: bool = False


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing this agent (another agent took the call, or the caller left)."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class ConnectCall:
    """Bridge the caller with the agent who accepted."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class DialCallback:
    """The callback's turn came and an agent accepted: dial the customer back now."""

    call: CallRef
    agent: AgentRef
    number: str


@dataclass(frozen=True, slots=True)
class ScheduleCallback:
    """Release the caller's leg; the call keeps its place and is dialled back later."""

    call: CallRef
    queue: QueueRef
    number: str
    position: int


@dataclass(frozen=True, slots=True)
class RequeueCall:
    """The offer failed; the call is back in the queue at its original position."""

    call: CallRef
    queue: QueueRef
    position: int


@dataclass(frozen=True, slots=True)
class AnnouncePosition:
    """Play the caller its position and estimated wait."""

    call: CallRef
    queue: QueueRef
    position: int
    estimate: WaitEstimate


@dataclass(frozen=True, slots=True)
class MoveToQueue:
    """The call overflowed into another queue of the same tenant."""

    call: CallRef
    from_queue: QueueRef
    to_queue: QueueRef
    reason: str


@dataclass(frozen=True, slots=True)
class SendToVoicemail:
    """Send the caller to the queue's voicemail."""

    call: CallRef
    queue: QueueRef
    reason: str


@dataclass(frozen=True, slots=True)
class RejectCall:
    """Answer the caller's INVITE with a SIP error code."""

    call: CallRef
    sip_code: int
    reason: str


@dataclass(frozen=True, slots=True)
class HangUpCall:
    """Play the closing prompt and hang up (e.g. maximum wait with no overflow target)."""

    call: CallRef
    reason: str


@dataclass(frozen=True, slots=True)
class PauseAgent:
    """The engine paused the agent (e.g. after ring-no-answer)."""

    agent: AgentRef
    reason: str


@dataclass(frozen=True, slots=True)
class CallFinished:
    """The call left the ACD with this outcome; ledger entry for the CDR."""

    call: CallRef
    queue: QueueRef
    outcome: CallOutcome
    waited_s: float


Command = (
    OfferCall
    | CancelOffer
    | ConnectCall
    | DialCallback
    | ScheduleCallback
    | RequeueCall
    | AnnouncePosition
    | MoveToQueue
    | SendToVoicemail
    | RejectCall
    | HangUpCall
    | PauseAgent
    | CallFinished
)


class DecisionTrigger(StrEnum):
    """What made the engine decide."""

    CALL_ARRIVED = "call_arrived"
    AGENT_AVAILABLE = "agent_available"
    CALL_REQUEUED = "call_requeued"
    RELAXED = "relaxed"
    PROGRESSED = "progressed"
    OVERFLOW = "overflow"


class Candidate(NamedTuple):
    """One option the engine weighed: an agent or a queue, with its score (higher wins).

    A NamedTuple because dozens are built per decision and tuples are the cheapest to build.
    """

    ref: str
    score: float


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """The routing audit of one decision.

    `elapsed_us` is measured only when the caller injected a `perf_counter`-like callable
    into the engine; the core itself has no clock, and the measurement never influences
    what is decided.
    """

    decision_id: int
    at: float
    trigger: DecisionTrigger
    queue: QueueRef
    call: CallRef
    agents: tuple[AgentRef, ...]
    rule: str
    candidates: tuple[Candidate, ...]
    elapsed_us: float | None

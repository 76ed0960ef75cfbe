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


# Cross-queue arbitration keeps this many candidates in its audit record (winner included).
AUDIT_TOP_K = 5


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """The routing audit of one decision.

    `candidates` are the options the decision weighed with their scores, best first, and
    `candidates_considered` says how many there were. A strategy's decision lists every
    candidate it read. Cross-queue arbitration (an agent became free and took the most
    urgent of the calls heading its queues) keeps only the best `AUDIT_TOP_K` (the winner
    first, then the runners-up by score), which is enough to say why the winner won; the
    count still says how many queue heads were compared.

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
    candidates_considered: int
    elapsed_us: float | None


# Fast constructors for the objects every decision builds. A frozen dataclass's `__init__`
# sets each field through `object.__setattr__`, a slot-wrapper call per field. These fill a
# plain slotted "draft" class with the same slots (ordinary attribute stores, the fastest
# kind), then give the object its real class: the layouts are identical, so CPython allows
# the `__class__` assignment, and a layout that ever drifted would raise TypeError here, not
# build something else. The result is exactly what the class constructor builds (equal, same
# repr and hash, still frozen), about four times cheaper.


class _OfferCallDraft:
    __slots__ = OfferCall.__slots__
    call: CallRef
    agent: AgentRef
    queue: QueueRef
    ring_timeout_s: float
    callback: bool


class _ConnectCallDraft:
    __slots__ = ConnectCall.__slots__
    call: CallRef
    agent: AgentRef


class _CallFinishedDraft:
    __slots__ = CallFinished.__slots__
    call: CallRef
    queue: QueueRef
    outcome: CallOutcome
    waited_s: float


class _DecisionRecordDraft:
    __slots__ = DecisionRecord.__slots__
    decision_id: int
    at: float
    trigger: DecisionTrigger
    queue: QueueRef
    call: CallRef
    agents: tuple[AgentRef, ...]
    rule: str
    candidates: tuple[Candidate, ...]
    candidates_considered: int
    elapsed_us: float | None


def offer_call(
    call: CallRef, agent: AgentRef, queue: QueueRef, ring_timeout_s: float, callback: bool
) -> OfferCall:
    """`OfferCall(call, agent, queue, ring_timeout_s, callback)`, built fast."""
    obj = _OfferCallDraft()
    obj.call = call
    obj.agent = agent
    obj.queue = queue
    obj.ring_timeout_s = ring_timeout_s
    obj.callback = callback
    obj.__class__ = OfferCall  # type: ignore[assignment]
    return obj  # type: ignore[return-value]


def connect_call(call: CallRef, agent: AgentRef) -> ConnectCall:
    """`ConnectCall(call, agent)`, built fast."""
    obj = _ConnectCallDraft()
    obj.call = call
    obj.agent = agent
    obj.__class__ = ConnectCall  # type: ignore[assignment]
    return obj  # type: ignore[return-value]


def call_finished(
    call: CallRef, queue: QueueRef, outcome: CallOutcome, waited_s: float
) -> CallFinished:
    """`CallFinished(call, queue, outcome, waited_s)`, built fast."""
    obj = _CallFinishedDraft()
    obj.call = call
    obj.queue = queue
    obj.outcome = outcome
    obj.waited_s = waited_s
    obj.__class__ = CallFinished  # type: ignore[assignment]
    return obj  # type: ignore[return-value]


def decision_record(
    decision_id: int,
    at: float,
    trigger: DecisionTrigger,
    *,
    queue: QueueRef,
    call: CallRef,
    agents: tuple[AgentRef, ...],
    rule: str,
    candidates: tuple[Candidate, ...],
    candidates_considered: int,
    elapsed_us: float | None,
) -> DecisionRecord:
    """`DecisionRecord(...)` with the same fields, built fast."""
    obj = _DecisionRecordDraft()
    obj.decision_id = decision_id
    obj.at = at
    obj.trigger = trigger
    obj.queue = queue
    obj.call = call
    obj.agents = agents
    obj.rule = rule
    obj.candidates = candidates
    obj.candidates_considered = candidates_considered
    obj.elapsed_us = elapsed_us
    obj.__class__ = DecisionRecord  # type: ignore[assignment]
    return obj  # type: ignore[return-value]

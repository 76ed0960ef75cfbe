"""Commands the engine emits and the records it keeps; adapters act on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

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
# sets each field through `object.__setattr__` by name; these allocate the instance and fill
# its slots through the slot descriptors directly, about three times cheaper. They build
# exactly what the class constructor would (equal, same repr and hash, still frozen).


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[object, Any], None], ...]:
    return tuple(vars(cls)[name].__set__ for name in names)


_new = object.__new__
_OC = _slot_setters(OfferCall, ("call", "agent", "queue", "ring_timeout_s", "callback"))
_CC = _slot_setters(ConnectCall, ("call", "agent"))
_CF = _slot_setters(CallFinished, ("call", "queue", "outcome", "waited_s"))
_DR = _slot_setters(DecisionRecord, (
    "decision_id", "at", "trigger", "queue", "call", "agents", "rule", "candidates",
    "candidates_considered", "elapsed_us",
))


def offer_call(
    call: CallRef, agent: AgentRef, queue: QueueRef, ring_timeout_s: float, callback: bool
) -> OfferCall:
    """`OfferCall(call, agent, queue, ring_timeout_s, callback)`, built fast."""
    obj = _new(OfferCall)
    s_call, s_agent, s_queue, s_ring, s_callback = _OC
    s_call(obj, call)
    s_agent(obj, agent)
    s_queue(obj, queue)
    s_ring(obj, ring_timeout_s)
    s_callback(obj, callback)
    return obj


def connect_call(call: CallRef, agent: AgentRef) -> ConnectCall:
    """`ConnectCall(call, agent)`, built fast."""
    obj = _new(ConnectCall)
    s_call, s_agent = _CC
    s_call(obj, call)
    s_agent(obj, agent)
    return obj


def call_finished(
    call: CallRef, queue: QueueRef, outcome: CallOutcome, waited_s: float
) -> CallFinished:
    """`CallFinished(call, queue, outcome, waited_s)`, built fast."""
    obj = _new(CallFinished)
    s_call, s_queue, s_outcome, s_waited = _CF
    s_call(obj, call)
    s_queue(obj, queue)
    s_outcome(obj, outcome)
    s_waited(obj, waited_s)
    return obj


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
    obj = _new(DecisionRecord)
    s_id, s_at, s_trigger, s_queue, s_call, s_agents, s_rule, s_cands, s_count, s_el = _DR
    s_id(obj, decision_id)
    s_at(obj, at)
    s_trigger(obj, trigger)
    s_queue(obj, queue)
    s_call(obj, call)
    s_agents(obj, agents)
    s_rule(obj, rule)
    s_cands(obj, candidates)
    s_count(obj, candidates_considered)
    s_el(obj, elapsed_us)
    return obj

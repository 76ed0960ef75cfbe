"""Live state of the engine: agents, calls, queues and the indexes over them.

The state is mutated in place by the engine (copying 10,000 agents per event would cost far
more than the decision itself); handlers validate an event fully before the first mutation,
so a refused event leaves the state exactly as it was.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from control_plane.acd.estimators.rates import DecayingRate, Ewma
from control_plane.acd.indexes import IdleIndex
from control_plane.acd.model import (
    AgentRef,
    AgentState,
    CallRef,
    CallState,
    PriorityClass,
    QueueConfig,
    QueueRef,
    TenantConfig,
)
from control_plane.acd.timers import Timers

if TYPE_CHECKING:
    from control_plane.acd.strategies.base import Strategy

# (skill id, lowest accepted proficiency) pairs; one tuple of them per relaxation level.
Requirements = tuple[tuple[int, int], ...]
# Sort key of a waiting call: priority class first, then numeric priority, then arrival.
CallKey = tuple[int, int, int]
# Read by `LiveAgent.available` on every event, as module constants: on Python 3.11 an
# `Enum.MEMBER` read goes through EnumType.__getattr__.
_READY = AgentState.READY
_ON_CALL = AgentState.ON_CALL


@dataclass(slots=True, eq=False)
class TenantState:
    """A tenant's config and the ids its skills have inside the indexes."""

    config: TenantConfig
    skill_ids: dict[str, int]


@dataclass(slots=True, eq=False)
class QueueState:
    """One queue: its config, waiting calls per relaxation level, staffing and estimators."""

    # The queue's first waiting call over all levels (least key), kept so arbitration reads
    # one attribute per queue instead of lists, keys and a dict. First, so it shares a cache
    # line with the object header that iterating the agent's queues touches anyway.
    top: LiveCall | None
    name: str  # ref.queue, read for every audit candidate without touching `ref`
    # This queue's slot in the state's `head_keys` (and `queue_list`), and that list: the
    # ranking float of `top`, kept with it by `heads.set_top`.
    qidx: int
    head_keys: list[float]
    head_seqs: list[int]
    config: QueueConfig
    ref: QueueRef
    reqs: tuple[Requirements, ...]
    strategy: Strategy
    waiting: list[list[CallKey]]
    arrivals: DecayingRate
    handle: Ewma
    calls_by_seq: dict[int, LiveCall]  # the state's own map, to find the new head on dequeue
    waiting_count: int = 0
    logged_in: int = 0
    staffed: int = 0
    staffed_share: float = 0.0
    risk_level: int = 0
    risk: float = 0.0
    risk_checked_at: float = float("-inf")
    round_robin_last: tuple[int, int] | None = None

    @property
    def max_level(self) -> int:
        """The most relaxed level this queue has."""
        return len(self.reqs) - 1


@dataclass(slots=True, eq=False)
class LiveAgent:
    """A logged-in agent."""

    ref: AgentRef
    idx: int
    skills: dict[int, int]
    order: int
    weight: float
    max_concurrent: int
    state: AgentState = AgentState.READY
    pause_reason: str | None = None
    pending_pause: str | None = None
    offer: int | None = None
    # Tuples, not lists: one object with its items inline (one cache line fewer to read on
    # a cold agent or call), and the empty tuple is a shared constant.
    active: tuple[int, ...] = ()
    idle_since: float = 0.0
    calls_handled: int = 0
    talk_time: float = 0.0
    seat_registered: bool = True
    seat_degraded: bool = False
    eligible: list[tuple[QueueState, int]] = field(default_factory=list)
    # `eligible` split for arbitration: queues served at the strict level (their `qidx`,
    # ranked through the head keys), and the others. An array: reading it makes fresh ints,
    # where a tuple would touch one shared int object per queue, scattered over the heap.
    strict_ids: array[int] = field(default_factory=lambda: array("l"))
    relaxed: list[tuple[QueueState, int]] = field(default_factory=list)
    idle_keys: tuple[tuple[float, int], tuple[int, float, int], tuple[float, float, int],
                     tuple[int, int]] | None = None
    idle_degraded: bool = False

    @property
    def available(self) -> bool:
        """True when the agent can be offered a call right now."""
        return (
            self.offer is None
            and self.seat_registered
            and (
                self.state is _READY
                or (self.state is _ON_CALL and len(self.active) < self.max_concurrent)
            )
        )


@dataclass(slots=True, eq=False)
class LiveCall:
    """A call inside the ACD (queued, offered or connected)."""

    # The fields arbitration reads for every queue head come first, next to the header, so
    # ranking an agent's queues touches one cache line per call.
    # Cross-queue arbitration order (class first, then SL deadline, then arrival); kept with
    # `deadline` so an agent's queues are ranked by C-level comparisons.
    rank: tuple[int, float, int]
    # Mirrors `bool(declined)`: arbitration checks it without touching the set.
    has_declined: bool
    queue: QueueState
    priority_class: PriorityClass
    deadline: float
    ref: CallRef
    seq: int
    caller: str
    priority: int
    arrived_at: float
    entered_at: float
    key: CallKey
    level: int = 0
    state: CallState = CallState.QUEUED
    offered: tuple[int, ...] = ()  # agents ringing with it (a tuple, like `LiveAgent.active`)
    # Agents that let it go; replaced, never mutated, so most calls share the empty one.
    declined: frozenset[int] = frozenset()
    offers: int = 0
    # True once a call timer (relax, max wait, announce, progress) may be armed; lets the
    # common call that never had one skip four cancellations on connect and on hang-up.
    timed: bool = False
    callback: bool = False
    agent: int | None = None
    # The connected agent itself (its idx is `agent`): the call's end reaches it without a
    # lookup in the 10,000-entry agent map, a cache miss or two at that size.
    taker: LiveAgent | None = None
    connected_at: float = 0.0


@dataclass(slots=True, eq=False)
class AcdState:
    """Everything the engine knows; owned by one engine instance."""

    tenants: dict[str, TenantState] = field(default_factory=dict)
    queues: dict[QueueRef, QueueState] = field(default_factory=dict)
    # Queues by `qidx`, and each one's head key (see `heads`): +inf while it has no call.
    queue_list: list[QueueState] = field(default_factory=list)
    head_keys: list[float] = field(default_factory=list)
    head_seqs: list[int] = field(default_factory=list)  # `top.seq`, for equal keys
    agents: dict[AgentRef, LiveAgent] = field(default_factory=dict)
    agents_by_idx: dict[int, LiveAgent] = field(default_factory=dict)
    calls: dict[CallRef, LiveCall] = field(default_factory=dict)
    calls_by_seq: dict[int, LiveCall] = field(default_factory=dict)
    skill_names: list[tuple[str, str]] = field(default_factory=list)
    skill_agents: dict[int, set[int]] = field(default_factory=dict)
    skill_queues: dict[int, set[QueueRef]] = field(default_factory=dict)
    idle: IdleIndex = field(default_factory=IdleIndex)
    timers: Timers = field(default_factory=Timers)
    now: float = float("-inf")
    next_call_seq: int = 0
    next_agent_idx: int = 0
    next_decision_id: int = 0

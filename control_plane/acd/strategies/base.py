"""The one Protocol every routing strategy implements, and what it is given and returns."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from control_plane.acd.commands import Candidate

if TYPE_CHECKING:
    from control_plane.acd.pool import AgentPool
    from control_plane.acd.state import LiveAgent, LiveCall, QueueState, Requirements

# How many runners-up a single-pick strategy reads, only so the audit shows alternatives.
AUDIT_CANDIDATES = 3


@dataclass(slots=True)
class SelectionContext:
    """What a strategy may look at to pick agents for one call."""

    pool: AgentPool
    queue: QueueState
    call: LiveCall
    reqs: Requirements
    now: float
    rng: random.Random


@dataclass(frozen=True, slots=True)
class Selection:
    """The agents to offer the call to, the candidates weighed, and the rule that decided."""

    agents: tuple[LiveAgent, ...]
    candidates: tuple[Candidate, ...]
    rule: str


class Strategy(Protocol):
    """Picks which available, eligible agent(s) a call is offered to."""

    @property
    def name(self) -> str:
        """The configuration name of the strategy (e.g. "longest-idle")."""
        ...

    @property
    def progressive(self) -> bool:
        """True when the engine should offer to one more agent every step while ringing."""
        ...

    def select(self, ctx: SelectionContext) -> Selection | None:
        """The agents to offer to, or None when the pool is empty."""
        ...


def idle_candidates(agents: list[LiveAgent], now: float) -> tuple[Candidate, ...]:
    """Audit candidates scored by seconds idle."""
    return tuple(Candidate(a.ref.agent, now - a.idle_since) for a in agents)


def single_pick(name: str, agents: list[LiveAgent], scores: list[float]) -> Selection | None:
    """A selection of the first agent, recording the others as runners-up."""
    if not agents:
        return None
    cands = tuple(Candidate(a.ref.agent, s) for a, s in zip(agents, scores, strict=True))
    return Selection((agents[0],), cands, name)

"""Ports between the API and the ACD: what the agent desk and the supervisors may ask of it
(:class:`AgentDesk`), and what it tells of its live state (:class:`LiveStats`).

The API never touches the engine directly: the composition root attaches an adapter (today
``agent_engine_desk.EngineDesk`` and ``agent_live.EngineLiveStats`` over this process's
engine; with Redis, one over the shared state). Agents are named in the ACD by their
configuration database id as text, queues by their name (what IVR flows send callers to).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from aiohttp import web

from control_plane.acd.model import AgentProfile, AgentRef


def agent_ref(tenant: str, agent_id: int) -> AgentRef:
    """The ACD's name of the configuration database's agent ``agent_id``."""
    return AgentRef(tenant, str(agent_id))


class Refusal(StrEnum):
    """Why the ACD did not do what was asked; the state is unchanged."""

    NOT_LOGGED_IN = "not_logged_in"
    ALREADY_LOGGED_IN = "already_logged_in"
    BUSY = "busy"  # ringing or on a call: the action must wait for the call
    NOT_IN_WRAP_UP = "not_in_wrap_up"
    UNKNOWN_PAUSE_REASON = "unknown_pause_reason"
    UNKNOWN_SKILL = "unknown_skill"
    UNKNOWN_TENANT = "unknown_tenant"
    NOT_YOUR_CALL = "not_your_call"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class DeskRefusal:
    """A refused action: the reason code and a sentence for people."""

    code: Refusal
    reason: str


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """An agent's state after an action; ``note`` tells of a deferred effect (a pause asked
    during a call starts when the call ends)."""

    agent: AgentRef
    state: str
    pause_reason: str | None = None
    note: str | None = None


DeskResult = AgentStatus | DeskRefusal


@dataclass(frozen=True, slots=True)
class Disposition:
    """How an agent closed a call: a code and free notes, for the call records."""

    agent: AgentRef
    call_id: str
    code: str
    notes: str | None
    at: datetime


class AgentDesk(Protocol):
    """Actions on an agent's ACD state, by the agent or a supervisor."""

    async def log_in(self, agent: AgentRef, profile: AgentProfile, *,
                     pause_reason: str | None = None) -> DeskResult:
        """Start taking calls (ready, or paused with ``pause_reason``)."""

    async def log_out(self, agent: AgentRef) -> DeskResult:
        """Stop taking calls (refused during a call)."""

    async def ready(self, agent: AgentRef) -> DeskResult:
        """Available again after a pause or wrap-up."""

    async def pause(self, agent: AgentRef, reason: str) -> DeskResult:
        """Pause with a reason code of the tenant's list (after the call, during one)."""

    async def end_wrap_up(self, agent: AgentRef) -> DeskResult:
        """After-call work done before the wrap-up timer."""

    async def set_disposition(self, agent: AgentRef, call_id: str, code: str,
                              notes: str | None) -> DeskResult:
        """Close one of the agent's calls with a disposition code and notes."""

    async def update_profile(self, agent: AgentRef, profile: AgentProfile) -> DeskResult:
        """Route by new skills (or order, weight) from now on, keeping ready or paused;
        refused while the agent rings or talks, and when not logged in."""

    async def status(self, agent: AgentRef) -> AgentStatus:
        """The agent's state now (``logged_out`` when unknown)."""


@dataclass(frozen=True, slots=True)
class QueueLive:
    """A queue now: calls waiting, the oldest wait, agents by state, service level so far
    (answered within the target over answered plus abandoned, short abandons left out)."""

    queue: str
    waiting: int
    oldest_wait_seconds: float
    agents: Mapping[str, int]
    answered: int
    answered_in_target: int
    abandoned: int
    short_abandoned: int
    target_seconds: float
    service_level: float | None


@dataclass(frozen=True, slots=True)
class AgentLive:
    """An agent now: state and reason, how long in it, calls handled this login."""

    agent: AgentRef
    state: str
    pause_reason: str | None
    seconds_in_state: float | None
    calls_handled: int
    queues: tuple[str, ...] = field(default_factory=tuple)


class LiveStats(Protocol):
    """Live figures from the ACD's state."""

    async def queue(self, tenant: str, queue: str) -> QueueLive | None:
        """The queue ``queue`` of ``tenant``; None when the ACD does not know it."""

    async def queues(self, tenant: str) -> list[QueueLive]:
        """Every queue of ``tenant`` the ACD knows, by name."""

    async def agent(self, agent: AgentRef) -> AgentLive:
        """The agent (logged out when the ACD does not know them)."""


DESK: web.AppKey[AgentDesk] = web.AppKey("agent_desk")
LIVE: web.AppKey[LiveStats] = web.AppKey("live_stats")

"""The agent desk over this process's ACD engine: each action is one engine event.

Events go through an object with ``apply(event) -> Outcome`` (the call controller's
``AcdDriver``, which also runs the engine's timers and carries out its commands), so an
agent going ready is offered a waiting call at once. The engine's typed rejections become
the desk's :class:`~control_plane.api.agent_ports.Refusal` codes. Changing an agent's skills
live is a log-out and log-in with the new profile (the engine has no event for it), done
only while the agent is ready or paused, and checked first so a refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import structlog
from aiohttp import web

from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.errors import RejectionCode
from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    Event,
    WrapUpEnded,
)
from control_plane.acd.model import AgentProfile, AgentRef, AgentState
from control_plane.api.agent_live import AgentLedger, EngineLiveStats
from control_plane.api.agent_ports import (
    DESK,
    LIVE,
    AgentStatus,
    DeskRefusal,
    DeskResult,
    Disposition,
    Refusal,
)

log = structlog.get_logger(__name__)


class Applier(Protocol):
    """What carries an event into the engine (``AcdDriver``)."""

    def apply(self, event: Event) -> Outcome:
        """Apply ``event`` now."""


_CODES = {
    RejectionCode.UNKNOWN_AGENT: Refusal.NOT_LOGGED_IN,
    RejectionCode.UNKNOWN_TENANT: Refusal.UNKNOWN_TENANT,
    RejectionCode.UNKNOWN_SKILL: Refusal.UNKNOWN_SKILL,
    RejectionCode.UNKNOWN_PAUSE_REASON: Refusal.UNKNOWN_PAUSE_REASON,
}
_BUSY = (AgentState.OFFERED, AgentState.ON_CALL)


class EngineDesk:
    """:class:`~control_plane.api.agent_ports.AgentDesk` over one engine."""

    def __init__(self, driver: Applier, ledger: AgentLedger, *,
                 on_disposition: Callable[[Disposition], None]) -> None:
        self.driver = driver
        self.ledger = ledger
        self.engine: Engine = ledger.engine
        self._on_disposition = on_disposition

    def follow(self, driver: Applier, ledger: AgentLedger) -> None:
        """Act on another engine from now on (a replica that took the center over
        replayed its own; the ledger times states on it too)."""
        engine = driver.engine  # type: ignore[attr-defined]
        self.driver, self.engine = driver, engine
        ledger.engine, ledger.clock = engine, driver.now  # type: ignore[attr-defined]

    def _status(self, agent: AgentRef, note: str | None = None) -> AgentStatus:
        live = self.engine.state.agents.get(agent)
        if live is None:
            return AgentStatus(agent, AgentState.LOGGED_OUT.value, note=note)
        return AgentStatus(agent, live.state.value, live.pause_reason, note)

    def _precheck(self, agent: AgentRef, event: Event) -> DeskRefusal | None:
        """The refusal the engine would answer, found without applying the event.

        The engine checks the same (and stays the backstop); checking here gives each case
        its own code and keeps refused events out of the driver, whose job is carrying out
        what is accepted.
        """
        st = self.engine.state
        tenant = st.tenants.get(agent.tenant)
        if tenant is None:
            return DeskRefusal(Refusal.UNKNOWN_TENANT, f"the ACD has no tenant {agent.tenant}")
        live = st.agents.get(agent)
        reason = getattr(event, "pause_reason", None) or getattr(event, "reason", None)
        if reason is not None and reason not in tenant.config.pause_reasons:
            return DeskRefusal(Refusal.UNKNOWN_PAUSE_REASON,
                               f"the ACD does not know pause reason {reason}")
        if isinstance(event, AgentLoggedIn):
            if live is not None:
                return DeskRefusal(Refusal.ALREADY_LOGGED_IN, "the agent is already logged in")
            unknown = sorted(set(event.profile.skills) - set(tenant.skill_ids))
            if unknown:
                return DeskRefusal(Refusal.UNKNOWN_SKILL, "the ACD does not know skill "
                                   f"{', '.join(unknown)} yet")
            return None
        if live is None:
            return DeskRefusal(Refusal.NOT_LOGGED_IN, "the agent is not logged in")
        if isinstance(event, AgentLoggedOut) and live.active:
            return DeskRefusal(Refusal.BUSY, "the agent is on a call; end it first")
        if isinstance(event, AgentPaused) and live.offer is not None:
            return DeskRefusal(Refusal.BUSY, "the agent is ringing; answer or reject first")
        if isinstance(event, WrapUpEnded) and live.state is not AgentState.WRAP_UP:
            return DeskRefusal(Refusal.NOT_IN_WRAP_UP, f"the agent is {live.state.value}")
        return None

    def _apply(self, agent: AgentRef, event: Event) -> DeskResult:
        refused = self._precheck(agent, event)
        if refused is not None:
            return refused
        outcome = self.driver.apply(event)
        self.ledger.touch(agent)
        rejection = outcome.rejection
        if rejection is None:
            return self._status(agent, "; ".join(outcome.notes) or None)
        code = _CODES.get(rejection.code)
        if code is None and rejection.code is RejectionCode.OUT_OF_ORDER:
            state = self.engine.agent_state(agent)
            code = Refusal.BUSY if state in _BUSY else (
                Refusal.ALREADY_LOGGED_IN if isinstance(event, AgentLoggedIn) else
                Refusal.NOT_IN_WRAP_UP if isinstance(event, WrapUpEnded) else Refusal.INVALID)
        return DeskRefusal(code or Refusal.INVALID, rejection.reason)

    async def log_in(self, agent: AgentRef, profile: AgentProfile, *,
                     pause_reason: str | None = None) -> DeskResult:
        """See :meth:`AgentDesk.log_in`."""
        return self._apply(agent, AgentLoggedIn(agent, profile, pause_reason))

    async def log_out(self, agent: AgentRef) -> DeskResult:
        """See :meth:`AgentDesk.log_out`."""
        return self._apply(agent, AgentLoggedOut(agent))

    async def ready(self, agent: AgentRef) -> DeskResult:
        """See :meth:`AgentDesk.ready`."""
        return self._apply(agent, AgentReady(agent))

    async def pause(self, agent: AgentRef, reason: str) -> DeskResult:
        """See :meth:`AgentDesk.pause`."""
        return self._apply(agent, AgentPaused(agent, reason))

    async def end_wrap_up(self, agent: AgentRef) -> DeskResult:
        """See :meth:`AgentDesk.end_wrap_up`."""
        return self._apply(agent, WrapUpEnded(agent))

    async def set_disposition(self, agent: AgentRef, call_id: str, code: str,
                              notes: str | None) -> DeskResult:
        """See :meth:`AgentDesk.set_disposition`: only a call the agent was connected to."""
        if not self.ledger.handled(agent, call_id):
            return DeskRefusal(Refusal.NOT_YOUR_CALL,
                               f"call {call_id} is not one of this agent's recent calls")
        self._on_disposition(Disposition(agent, call_id, code, notes, datetime.now(UTC)))
        return self._status(agent)

    async def update_profile(self, agent: AgentRef, profile: AgentProfile) -> DeskResult:
        """See :meth:`AgentDesk.update_profile`."""
        live = self.engine.state.agents.get(agent)
        if live is None:
            return DeskRefusal(Refusal.NOT_LOGGED_IN, "the agent is not logged in; the new "
                               "profile applies at their next login")
        if live.state not in (AgentState.READY, AgentState.PAUSED) or live.active:
            return DeskRefusal(Refusal.BUSY, f"the agent is {live.state.value}; the new "
                               "profile applies when they are ready or paused again")
        tenant = self.engine.state.tenants[agent.tenant]
        unknown = sorted(set(profile.skills) - set(tenant.skill_ids))
        if unknown:
            return DeskRefusal(Refusal.UNKNOWN_SKILL, "the ACD does not know skill "
                               f"{', '.join(unknown)} yet")
        if any(not 1 <= p <= 5 for p in profile.skills.values()) or profile.max_concurrent < 1:
            return DeskRefusal(Refusal.INVALID, "proficiency must be 1-5")
        for queue, _level in live.eligible:
            # Logging out the last agent of a queue could overflow its waiting callers.
            if queue.logged_in == 1 and queue.waiting_count and \
                    queue.config.overflow.on_no_agents is not None:
                return DeskRefusal(Refusal.BUSY, f"the agent is the last one serving queue "
                                   f"{queue.name}, where callers wait; try again later")
        reason = live.pause_reason if live.state is AgentState.PAUSED else None
        if reason is not None and reason not in tenant.config.pause_reasons:
            reason = None  # cannot happen: the engine checked it when the agent paused
        out = self.driver.apply(AgentLoggedOut(agent))
        if out.rejection is not None:
            return DeskRefusal(Refusal.INVALID, out.rejection.reason)
        result = self._apply(agent, AgentLoggedIn(agent, profile, reason))
        if isinstance(result, DeskRefusal):  # checked above; never leave them logged out
            log.error("agent re-login refused", agent=agent.agent, reason=result.reason)
        return result

    async def status(self, agent: AgentRef) -> AgentStatus:
        """See :meth:`AgentDesk.status`."""
        return self._status(agent)


def attach_engine(app: web.Application, driver: Applier, ledger: AgentLedger, *,
                  on_disposition: Callable[[Disposition], None]) -> EngineDesk:
    """Give ``app`` the desk and live figures of one engine (the composition root calls
    this with its ``AcdDriver``, whose command sink must also feed ``ledger.observe``)."""
    desk = EngineDesk(driver, ledger, on_disposition=on_disposition)
    app[DESK] = desk
    app[LIVE] = EngineLiveStats(ledger)
    return desk

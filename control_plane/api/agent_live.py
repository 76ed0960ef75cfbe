"""Live statistics read from this process's ACD engine, and the ledger that times states.

The engine keeps agents' states but not since when (only ``idle_since`` for ready agents),
and not the service level so far. :class:`AgentLedger` learns both from what the engine
emits: it is one more sink of the driver's commands (``observe``), and the desk tells it
after each action (``touch``). A transition it cannot see (a wrap-up timer ending into a
requested pause) leaves ``seconds_in_state`` unknown (None) rather than guessed.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from control_plane.acd.commands import (
    CallFinished,
    CancelOffer,
    Command,
    ConnectCall,
    OfferCall,
    PauseAgent,
)
from control_plane.acd.engine import Engine
from control_plane.acd.model import (
    AgentRef,
    AgentState,
    CallOutcome,
    CallRef,
    CallState,
    QueueRef,
)
from control_plane.api.agent_ports import AgentLive, QueueLive

SHORT_ABANDON_SECONDS = 5.0  # hang-ups this quick are not counted against the service level
RECENT_CALLS = 50  # per agent: the calls a disposition may still be set on


@dataclass(slots=True)
class _Tally:
    answered: int = 0
    in_target: int = 0
    abandoned: int = 0
    short: int = 0


class AgentLedger:
    """States' start times, agents' recent calls and queues' outcomes, from the commands."""

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.clock = clock
        self._since: dict[AgentRef, tuple[AgentState, float]] = {}
        self._calls: defaultdict[AgentRef, deque[str]] = defaultdict(
            lambda: deque(maxlen=RECENT_CALLS))
        self._call_agent: dict[CallRef, AgentRef] = {}
        self.tallies: defaultdict[QueueRef, _Tally] = defaultdict(_Tally)

    def touch(self, agent: AgentRef) -> None:
        """Record the agent's state now, if it changed since last seen."""
        state = self.engine.agent_state(agent)
        seen = self._since.get(agent)
        if seen is None or seen[0] is not state:
            self._since[agent] = (state, self.engine.state.now)

    def observe(self, command: Command) -> None:
        """A command the engine emitted (call this from the driver's command sink)."""
        if isinstance(command, OfferCall | CancelOffer | PauseAgent):
            self.touch(command.agent)
        elif isinstance(command, ConnectCall):
            self._call_agent[command.call] = command.agent
            self._calls[command.agent].append(command.call.call)
            self.touch(command.agent)
        elif isinstance(command, CallFinished):
            self._count(command)
            agent = self._call_agent.pop(command.call, None)
            if agent is not None:
                self.touch(agent)

    def _count(self, done: CallFinished) -> None:
        tally = self.tallies[done.queue]
        if done.outcome is CallOutcome.ANSWERED:
            tally.answered += 1
            queue = self.engine.state.queues.get(done.queue)
            target = queue.config.service_level.threshold_s if queue else 0.0
            tally.in_target += done.waited_s <= target
        elif done.outcome is CallOutcome.ABANDONED:
            tally.abandoned += 1
            tally.short += done.waited_s < SHORT_ABANDON_SECONDS

    def handled(self, agent: AgentRef, call_id: str) -> bool:
        """True when ``call_id`` is one of the agent's recent connected calls."""
        return call_id in self._calls.get(agent, ())

    def seconds_in_state(self, agent: AgentRef) -> float | None:
        """How long the agent has been in its current state, when known."""
        live = self.engine.state.agents.get(agent)
        now = self.clock()
        if live is None:
            return None
        if live.state is AgentState.READY:
            return max(0.0, now - live.idle_since)
        seen = self._since.get(agent)
        if seen is None or seen[0] is not live.state:
            return None
        return max(0.0, now - seen[1])


class EngineLiveStats:
    """:class:`~control_plane.api.agent_ports.LiveStats` over one in-process engine."""

    def __init__(self, ledger: AgentLedger) -> None:
        self.ledger = ledger

    def _queue(self, ref: QueueRef) -> QueueLive | None:
        engine = self.ledger.engine
        state = engine.state.queues.get(ref)
        if state is None:
            return None
        now = self.ledger.clock()
        oldest = min((c.arrived_at for c in engine.state.calls.values()
                      if c.queue is state and c.state is CallState.QUEUED), default=None)
        agents: dict[str, int] = {}
        for agent in engine.state.agents.values():
            if any(q is state for q, _level in agent.eligible):
                agents[agent.state.value] = agents.get(agent.state.value, 0) + 1
        tally = self.ledger.tallies.get(ref, _Tally())
        counted = tally.answered + tally.abandoned - tally.short
        return QueueLive(
            queue=ref.queue, waiting=state.waiting_count,
            oldest_wait_seconds=0.0 if oldest is None else max(0.0, now - oldest),
            agents=agents, answered=tally.answered, answered_in_target=tally.in_target,
            abandoned=tally.abandoned, short_abandoned=tally.short,
            target_seconds=state.config.service_level.threshold_s,
            service_level=(tally.in_target / counted) if counted > 0 else None)

    async def queue(self, tenant: str, queue: str) -> QueueLive | None:
        """See :meth:`LiveStats.queue`."""
        return self._queue(QueueRef(tenant, queue))

    async def queues(self, tenant: str) -> list[QueueLive]:
        """See :meth:`LiveStats.queues`."""
        refs = sorted(r for r in self.ledger.engine.state.queues if r.tenant == tenant)
        return [q for r in refs if (q := self._queue(r)) is not None]

    async def agent(self, agent: AgentRef) -> AgentLive:
        """See :meth:`LiveStats.agent`."""
        live = self.ledger.engine.state.agents.get(agent)
        if live is None:
            return AgentLive(agent=agent, state=AgentState.LOGGED_OUT.value, pause_reason=None,
                             seconds_in_state=None, calls_handled=0)
        return AgentLive(agent=agent, state=live.state.value, pause_reason=live.pause_reason,
                         seconds_in_state=self.ledger.seconds_in_state(agent),
                         calls_handled=live.calls_handled,
                         queues=tuple(sorted(q.name for q, _level in live.eligible)))

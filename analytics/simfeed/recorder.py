"""The ACD simulator's run, with the history it keeps to itself: every call and agent state.

``control_plane.acd.sim.simulate`` returns only its counters; it reports every step it
takes to an observer, from which this module keeps each call's path and each agent's state
spans. The cross-check test runs the simulator's CLI beside it and first asserts both
tallied the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from control_plane.acd.commands import CallFinished, ConnectCall, OfferCall, PauseAgent
from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import (
    CallArrived,
    CallEnded,
    Event,
)
from control_plane.acd.model import (
    AgentRef,
    AgentState,
    CallOutcome,
)
from control_plane.acd.sim.simulator import simulate
from control_plane.acd.sim.traffic import AgentSpec, Arrival, Scenario, generate_arrivals


@dataclass(slots=True)
class CallHistory:
    """One caller's path through the simulated ACD (seconds since the start of the run)."""

    arrival: Arrival
    wrap_s: float
    offered_at: dict[str, float] = field(default_factory=dict)
    connected_at: float | None = None
    agent: str | None = None
    ring_s: float = 0.0
    outcome: CallOutcome | None = None
    waited_s: float = 0.0
    left_queue_at: float | None = None
    hung_up_at: float | None = None


@dataclass(frozen=True, slots=True)
class StateSpan:
    """An agent held ``state`` over [start, end) while logged in."""

    agent: str
    state: AgentState
    reason: str
    start: float
    end: float


@dataclass
class SimHistory:
    """Everything one run did, and the instant the simulator stopped its clocks."""

    scenario: Scenario
    calls: dict[str, CallHistory]
    spans: list[StateSpan]
    end: float


class _States:
    """Closes an agent's span whenever the engine shows the agent in another state."""

    def __init__(self, tenant: str, agents: tuple[AgentSpec, ...]) -> None:
        self.refs = [AgentRef(tenant, a.name) for a in agents]
        self.open: dict[str, tuple[AgentState, str, float]] = {}
        self.reasons: dict[str, str] = {}
        self.spans: list[StateSpan] = []

    def observe(self, engine: Engine, now: float) -> None:
        for ref in self.refs:
            state = engine.agent_state(ref)
            held = self.open.get(ref.agent)
            if held is not None and held[0] is state:
                continue
            if held is not None:
                self.spans.append(StateSpan(ref.agent, held[0], held[1], held[2], now))
                del self.open[ref.agent]
            if state is not AgentState.LOGGED_OUT:
                reason = self.reasons.pop(ref.agent, "") if state is AgentState.PAUSED else ""
                self.open[ref.agent] = (state, reason, now)

    def close(self, end: float) -> None:
        for agent, (state, reason, since) in sorted(self.open.items()):
            self.spans.append(StateSpan(agent, state, reason, since, max(since, end)))
        self.open.clear()


def record(scenario: Scenario, strategy: str | None = None) -> SimHistory:
    """Run ``scenario`` through the simulator itself (``strategy`` overrides every queue's)
    and keep the history it does not return, from every step it reports."""
    tenant = scenario.tenant
    wraps = {q.config.queue_id: float(q.config.wrap_up_s) for q in scenario.queues}
    arrivals = generate_arrivals(scenario)
    by_id = {a.call_id: a for a in arrivals}
    calls: dict[str, CallHistory] = {}
    states = _States(tenant, scenario.agents)
    end = [0.0]

    def step(now: float, event: Event | None, out: Outcome | None, engine: Engine) -> None:
        if event is None:  # the run stopped its clocks
            end[0] = now
            return
        if isinstance(event, CallArrived):
            arrival = by_id[event.call.call]
            calls[arrival.call_id] = CallHistory(arrival, wraps[arrival.queue])
        elif isinstance(event, CallEnded):
            calls[event.call.call].hung_up_at = now
        for command in out.commands if out is not None else ():
            _note(calls, states, command, now)
        states.observe(engine, now)

    simulate(scenario, strategy, arrivals=arrivals, observer=step)
    states.close(end[0])
    return SimHistory(scenario, calls, states.spans, end[0])


def _note(calls: dict[str, CallHistory], states: _States, command: object, now: float) -> None:
    if isinstance(command, OfferCall):
        calls[command.call.call].offered_at[command.agent.agent] = now
    elif isinstance(command, ConnectCall):
        log = calls[command.call.call]
        log.connected_at, log.agent = now, command.agent.agent
        log.ring_s = now - log.offered_at.get(command.agent.agent, now)
    elif isinstance(command, CallFinished):
        log = calls[command.call.call]
        log.outcome, log.waited_s, log.left_queue_at = command.outcome, command.waited_s, now
    elif isinstance(command, PauseAgent):
        states.reasons[command.agent.agent] = command.reason

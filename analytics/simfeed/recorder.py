"""The ACD simulator's run, with the history it keeps to itself: every call and agent state.

``control_plane.acd.sim.simulate`` returns only its counters, and the ACD package is not
ours to change, so this module repeats its event loop step for step (same seeded engine,
same answer draws, same heap order) and records what happened. The cross-check test runs
the real simulator beside it and first asserts both tallied the same calls, so a drift of
this copy shows up as such and not as a KPI error.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import cast

from control_plane.acd.commands import CallFinished, ConnectCall, OfferCall, PauseAgent
from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReady,
    CallAbandoned,
    CallArrived,
    CallEnded,
    Event,
    OfferAccepted,
    QueueUpserted,
    TenantUpserted,
    TimerFired,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    AgentState,
    CallOutcome,
    CallRef,
    CallState,
    PriorityClass,
    TenantConfig,
)
from control_plane.acd.sim.traffic import AgentSpec, Arrival, Scenario, generate_arrivals


class _Kind(IntEnum):
    # Same values as the simulator's: equal instants pop in the same order.
    TIMER = 0
    LOGIN = 1
    LOGOUT = 2
    ARRIVAL = 3
    ANSWER = 4
    END = 5
    ABANDON = 6
    READY = 7


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
    """Run ``scenario`` as ``simulate`` does (``strategy`` overrides every queue's) and keep
    the history; the loop below mirrors control_plane/acd/sim/simulator.py line for line."""
    engine = Engine(random.Random(scenario.seed))
    answer_rng = random.Random(scenario.seed + 1)
    wraps = {q.config.queue_id: float(q.config.wrap_up_s) for q in scenario.queues}
    heap: list[tuple[float, int, _Kind, object]] = []
    seq = 0
    tenant = scenario.tenant
    calls: dict[str, CallHistory] = {}
    states = _States(tenant, scenario.agents)
    timer_at = [math.inf]

    def push(at: float, kind: _Kind, payload: object) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (at, seq, kind, payload))

    def apply(event: Event, now: float) -> Outcome:
        out = engine.apply(event, now)
        for command in out.commands:
            handle_command(command, now)
        due = engine.next_timer_at()
        if due is not None and due < timer_at[0]:
            timer_at[0] = due
            push(due, _Kind.TIMER, None)
        states.observe(engine, now)
        return out

    def handle_command(command: object, now: float) -> None:
        if isinstance(command, OfferCall):
            calls[command.call.call].offered_at[command.agent.agent] = now
            if answer_rng.random() >= scenario.no_answer_share:
                push(now + scenario.answer_delay_s, _Kind.ANSWER, (command.call, command.agent))
        elif isinstance(command, ConnectCall):
            log = calls[command.call.call]
            log.connected_at, log.agent = now, command.agent.agent
            log.ring_s = now - log.offered_at.get(command.agent.agent, now)
            push(now + log.arrival.handle_s, _Kind.END, command.call)
        elif isinstance(command, CallFinished):
            log = calls[command.call.call]
            log.outcome, log.waited_s, log.left_queue_at = command.outcome, command.waited_s, now
        elif isinstance(command, PauseAgent):
            states.reasons[command.agent.agent] = command.reason
            push(now + scenario.rona_pause_s, _Kind.READY, command.agent)

    apply(TenantUpserted(TenantConfig(tenant, scenario.skills)), 0.0)
    for q in scenario.queues:
        config = q.config if strategy is None else replace(q.config, strategy=strategy)
        apply(QueueUpserted(config), 0.0)
    for spec in scenario.agents:
        push(spec.shift_start_s, _Kind.LOGIN, spec)
        if math.isfinite(spec.shift_end_s):
            push(spec.shift_end_s, _Kind.LOGOUT, AgentRef(tenant, spec.name))
    for arrival in generate_arrivals(scenario):
        push(arrival.at, _Kind.ARRIVAL, arrival)
    horizon = scenario.duration_s * 3 + 86_400.0
    now = 0.0
    while heap:
        now, _, kind, payload = heapq.heappop(heap)
        if now > horizon:
            break
        if kind is _Kind.TIMER:
            if now >= timer_at[0]:
                timer_at[0] = math.inf
                apply(TimerFired(), now)
        elif kind is _Kind.ARRIVAL:
            arrival = cast(Arrival, payload)
            calls[arrival.call_id] = CallHistory(arrival, wraps[arrival.queue])
            klass = PriorityClass.VIP if arrival.vip else None
            apply(CallArrived(CallRef(tenant, arrival.call_id), arrival.queue,
                              priority_class=klass), now)
            if math.isfinite(arrival.patience_s):
                push(now + arrival.patience_s, _Kind.ABANDON, CallRef(tenant, arrival.call_id))
        elif kind is _Kind.ANSWER:
            call_ref, agent_ref = cast(tuple[CallRef, AgentRef], payload)
            live = engine.state.calls.get(call_ref)
            agent = engine.state.agents.get(agent_ref)
            if live is not None and agent is not None and agent.idx in live.offered:
                apply(OfferAccepted(call_ref, agent_ref), now)
        elif kind is _Kind.END:
            call_ref = cast(CallRef, payload)
            calls[call_ref.call].hung_up_at = now
            apply(CallEnded(call_ref), now)
        elif kind is _Kind.ABANDON:
            call_ref = cast(CallRef, payload)
            live = engine.state.calls.get(call_ref)
            if live is not None and live.state is not CallState.CONNECTED and not live.callback:
                apply(CallAbandoned(call_ref), now)
        elif kind is _Kind.LOGIN:
            spec = cast(AgentSpec, payload)
            apply(AgentLoggedIn(AgentRef(tenant, spec.name), AgentProfile(spec.skills)), now)
        elif kind is _Kind.LOGOUT:
            agent_ref = cast(AgentRef, payload)
            if apply(AgentLoggedOut(agent_ref), now).rejection is not None:
                push(now + 30.0, _Kind.LOGOUT, agent_ref)
        elif kind is _Kind.READY:
            apply(AgentReady(cast(AgentRef, payload)), now)
        if now >= scenario.duration_s and not engine.state.calls:
            break
    end = min(now, horizon)
    states.close(end)
    return SimHistory(scenario, calls, states.spans, end)

"""The discrete-event loop: seeded traffic in, the real engine deciding, figures out."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import cast

from control_plane.acd.commands import (
    CallFinished,
    ConnectCall,
    OfferCall,
    PauseAgent,
)
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
    CallOutcome,
    CallRef,
    CallState,
    PriorityClass,
    TenantConfig,
)
from control_plane.acd.sim.traffic import AgentSpec, Arrival, Scenario, generate_arrivals


class _Kind(IntEnum):
    TIMER = 0
    LOGIN = 1
    LOGOUT = 2
    ARRIVAL = 3
    ANSWER = 4
    END = 5
    ABANDON = 6
    READY = 7


@dataclass(frozen=True, slots=True)
class QueueReport:
    """Figures of one queue (or the whole center) over the measured calls."""

    queue: str
    offered: int
    answered: int
    abandoned: int
    other: int
    service_level: float
    p_wait: float
    asa_s: float
    aht_s: float
    abandonment: float
    occupancy: float


@dataclass(frozen=True, slots=True)
class SimReport:
    """The result of one run: per-queue figures, totals, and engine throughput counts."""

    strategy: str
    queues: dict[str, QueueReport]
    total: QueueReport
    decisions: int
    events: int


@dataclass(slots=True)
class _CallLog:
    arrival: Arrival
    connected_at: float | None = None
    outcome: CallOutcome | None = None
    agent: str | None = None


class _Tally:
    __slots__ = (
        "abandoned",
        "answered",
        "busy_s",
        "handle_s",
        "other",
        "wait_s",
        "waited",
        "within",
    )

    def __init__(self) -> None:
        self.answered = self.abandoned = self.other = self.waited = self.within = 0
        self.wait_s = self.handle_s = self.busy_s = 0.0

    def report(self, name: str, staffed_s: float) -> QueueReport:
        offered = self.answered + self.abandoned + self.other
        return QueueReport(
            queue=name, offered=offered, answered=self.answered, abandoned=self.abandoned,
            other=self.other,
            service_level=self.within / offered if offered else math.nan,
            p_wait=self.waited / offered if offered else math.nan,
            asa_s=self.wait_s / self.answered if self.answered else math.nan,
            aht_s=self.handle_s / self.answered if self.answered else math.nan,
            abandonment=self.abandoned / offered if offered else math.nan,
            occupancy=self.busy_s / staffed_s if staffed_s > 0 else math.nan,
        )


# Sees each applied event: (time, event, outcome, engine); at the end (time, None, None, engine).
StepObserver = Callable[[float, Event | None, Outcome | None, Engine], None]


def simulate(
    scenario: Scenario,
    strategy: str | None = None,
    progress: Callable[[float], None] | None = None,
    arrivals: list[Arrival] | None = None,
    observer: StepObserver | None = None,
) -> SimReport:
    """Run the scenario; `strategy` overrides every queue's strategy (for comparisons).
    `observer` sees every event applied (time, event, outcome, engine), then once more with
    no event at the instant the run stopped its clocks (analytics.simfeed keeps the
    history this way)."""
    engine = Engine(random.Random(scenario.seed))
    answer_rng = random.Random(scenario.seed + 1)
    traffic = {q.config.queue_id: q for q in scenario.queues}
    calls_in = arrivals if arrivals is not None else generate_arrivals(scenario)
    heap: list[tuple[float, int, _Kind, object]] = []
    seq = 0

    def push(at: float, kind: _Kind, payload: object) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (at, seq, kind, payload))

    tenant = scenario.tenant
    logs: dict[str, _CallLog] = {}
    busy_by_agent: dict[str, dict[str, float]] = {}
    counters = {"decisions": 0, "events": 0}
    timer_at = [math.inf]

    def apply(event: Event, now: float) -> Outcome:
        out = engine.apply(event, now)
        counters["events"] += 1
        counters["decisions"] += len(out.decisions)
        for command in out.commands:
            handle_command(command, now)
        due = engine.next_timer_at()
        if due is not None and due < timer_at[0]:
            timer_at[0] = due
            push(due, _Kind.TIMER, None)
        if observer is not None:
            observer(now, event, out, engine)
        return out

    def handle_command(command: object, now: float) -> None:
        if isinstance(command, OfferCall):
            if answer_rng.random() >= scenario.no_answer_share:
                push(now + scenario.answer_delay_s, _Kind.ANSWER, (command.call, command.agent))
        elif isinstance(command, ConnectCall):
            log = logs[command.call.call]
            log.connected_at = now
            log.agent = command.agent.agent
            push(now + log.arrival.handle_s, _Kind.END, command.call)
        elif isinstance(command, CallFinished):
            logs[command.call.call].outcome = command.outcome
        elif isinstance(command, PauseAgent):
            push(now + scenario.rona_pause_s, _Kind.READY, command.agent)

    apply(TenantUpserted(TenantConfig(tenant, scenario.skills)), 0.0)
    for q in scenario.queues:
        config = q.config if strategy is None else replace(q.config, strategy=strategy)
        apply(QueueUpserted(config), 0.0)
    for spec in scenario.agents:
        push(spec.shift_start_s, _Kind.LOGIN, spec)
        if math.isfinite(spec.shift_end_s):
            push(spec.shift_end_s, _Kind.LOGOUT, AgentRef(tenant, spec.name))
    for arrival in calls_in:
        push(arrival.at, _Kind.ARRIVAL, arrival)
    logged_in_s: dict[str, float] = {}
    login_at: dict[str, float] = {}
    horizon = scenario.duration_s * 3 + 86_400.0
    next_tick = 0.0
    now = 0.0
    while heap:
        now, _, kind, payload = heapq.heappop(heap)
        if now > horizon:
            break
        if progress is not None and now >= next_tick:
            progress(min(now / scenario.duration_s, 1.0))
            next_tick = now + scenario.duration_s / 100.0
        if kind is _Kind.TIMER:
            if now >= timer_at[0]:
                timer_at[0] = math.inf
                apply(TimerFired(), now)
        elif kind is _Kind.ARRIVAL:
            assert isinstance(payload, Arrival)
            logs[payload.call_id] = _CallLog(payload)
            klass = PriorityClass.VIP if payload.vip else None
            apply(CallArrived(CallRef(tenant, payload.call_id), payload.queue,
                              priority_class=klass), now)
            if math.isfinite(payload.patience_s):
                push(now + payload.patience_s, _Kind.ABANDON, CallRef(tenant, payload.call_id))
        elif kind is _Kind.ANSWER:
            call_ref, agent_ref = cast(tuple[CallRef, AgentRef], payload)
            live = engine.state.calls.get(call_ref)
            agent = engine.state.agents.get(agent_ref)
            if live is not None and agent is not None and agent.idx in live.offered:
                apply(OfferAccepted(call_ref, agent_ref), now)
        elif kind is _Kind.END:
            assert isinstance(payload, CallRef)
            log = logs[payload.call]
            wrap = traffic[log.arrival.queue].config.wrap_up_s
            per_queue = busy_by_agent.setdefault(log.agent or "", {})
            per_queue[log.arrival.queue] = per_queue.get(log.arrival.queue, 0.0) + (
                log.arrival.handle_s + wrap
            )
            apply(CallEnded(payload), now)
        elif kind is _Kind.ABANDON:
            assert isinstance(payload, CallRef)
            live = engine.state.calls.get(payload)
            if live is not None and live.state is not CallState.CONNECTED and not live.callback:
                apply(CallAbandoned(payload), now)
        elif kind is _Kind.LOGIN:
            assert isinstance(payload, AgentSpec)
            apply(AgentLoggedIn(AgentRef(tenant, payload.name), AgentProfile(payload.skills)), now)
            login_at[payload.name] = now
        elif kind is _Kind.LOGOUT:
            assert isinstance(payload, AgentRef)
            if apply(AgentLoggedOut(payload), now).rejection is not None:
                push(now + 30.0, _Kind.LOGOUT, payload)  # on a call: try again after it
            else:
                logged_in_s[payload.agent] = logged_in_s.get(payload.agent, 0.0) + (
                    now - login_at.pop(payload.agent)
                )
        elif kind is _Kind.READY:
            assert isinstance(payload, AgentRef)
            apply(AgentReady(payload), now)
        if now >= scenario.duration_s and not engine.state.calls:
            break  # every arrival is before the end, so nothing more can happen
    end = min(now, horizon)
    if observer is not None:
        observer(end, None, None, engine)
    for name, since in login_at.items():
        logged_in_s[name] = logged_in_s.get(name, 0.0) + (end - since)
    if progress is not None:
        progress(1.0)
    return _report(scenario, strategy=strategy, logs=logs, busy_by_agent=busy_by_agent,
                   logged_in_s=logged_in_s, counters=counters)


def _eligible(scenario: Scenario, queue: str, skills: dict[str, int]) -> bool:
    for q in scenario.queues:
        if q.config.queue_id == queue:
            return all(skills.get(r.skill, 0) >= r.min_proficiency for r in q.config.skills)
    return False


def _report(
    scenario: Scenario,
    *,
    strategy: str | None,
    logs: dict[str, _CallLog],
    busy_by_agent: dict[str, dict[str, float]],
    logged_in_s: dict[str, float],
    counters: dict[str, int],
) -> SimReport:
    tallies = {q.config.queue_id: _Tally() for q in scenario.queues}
    total = _Tally()
    thresholds = {q.config.queue_id: q.config.service_level.threshold_s for q in scenario.queues}
    for log in logs.values():
        arrival = log.arrival
        if arrival.at < scenario.warmup_s or log.outcome is None:
            continue
        for tally in (tallies[arrival.queue], total):
            if log.outcome is CallOutcome.ANSWERED and log.connected_at is not None:
                wait = log.connected_at - arrival.at
                tally.answered += 1
                tally.wait_s += wait
                tally.handle_s += arrival.handle_s
                # Ringing the agent is not waiting for one.
                tally.waited += wait > scenario.answer_delay_s + 1e-9
                tally.within += wait <= thresholds[arrival.queue]
            elif log.outcome is CallOutcome.ABANDONED:
                tally.abandoned += 1
                tally.waited += 1
            else:
                tally.other += 1
                tally.waited += 1
    specs = {a.name: a for a in scenario.agents}
    reports = {}
    for name, tally in tallies.items():
        staffed = sum(
            t for a, t in logged_in_s.items() if _eligible(scenario, name, specs[a].skills)
        )
        tally.busy_s = sum(b.get(name, 0.0) for b in busy_by_agent.values())
        reports[name] = tally.report(name, staffed)
    total.busy_s = sum(sum(b.values()) for b in busy_by_agent.values())
    label = strategy or ",".join(sorted({q.config.strategy for q in scenario.queues}))
    return SimReport(label, reports, total.report("all", sum(logged_in_s.values())),
                     counters["decisions"], counters["events"])

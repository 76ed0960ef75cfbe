"""Random sequences of arrivals, abandons, agent changes, answers, no-answers and timers.

After every step the whole-state invariants hold (see `invariants.check`); any refused event
left the state untouched; calls keep their queue key (so a re-queued call keeps its place);
and a freed agent always took the best call of the queue it served.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from control_plane.acd import Engine, Outcome
from control_plane.acd.commands import DecisionTrigger
from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallAbandoned,
    CallArrived,
    CallbackRequested,
    CallEnded,
    Event,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
    QueueUpserted,
    SeatQualityChanged,
    SeatRegistered,
    SeatUnregistered,
    TenantUpserted,
    TimerFired,
    WrapUpEnded,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    CallState,
    OverflowAction,
    OverflowKind,
    OverflowRules,
    PriorityClass,
    QueueConfig,
    RelaxStep,
    SeatPolicy,
    SkillRequirement,
    SlaRiskPolicy,
    TenantConfig,
)
from control_plane.acd.strategies import STRATEGIES
from tests.unit.acd import invariants
from tests.unit.acd.fingerprint import fingerprint

T = "t"
AGENTS = [f"a{i}" for i in range(6)]
QUEUES = ["a", "b", "c", "missing"]
CALL_IDS = st.integers(0, 25).map(lambda i: f"c{i}")
AGENT_IDS = st.sampled_from([*AGENTS, "ghost"])
SKILLS = st.dictionaries(st.sampled_from(["x", "y"]), st.integers(1, 5), min_size=1)


class AcdMachine(RuleBasedStateMachine):
    """Drives one engine; timers only run in `advance`, so other events happen at one instant."""

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(random.Random(5))
        self.now = 0.0
        self.keys: dict[CallRef, tuple[int, int, int]] = {}

    @initialize(strategy=st.sampled_from(sorted(STRATEGIES)))
    def configure(self, strategy: str) -> None:
        self.apply(TenantUpserted(TenantConfig(T, frozenset({"x", "y"}))))
        self.apply(QueueUpserted(QueueConfig(
            T, "a", (SkillRequirement("x", 3),), strategy=strategy,
            relaxation=(RelaxStep(20, 1),), sla_risk=SlaRiskPolicy(eval_period_s=10),
            overflow=OverflowRules(max_wait_s=120,
                                   on_max_wait=OverflowAction(OverflowKind.QUEUE, "c")),
            announce_period_s=15, ring_timeout_s=8)))
        self.apply(QueueUpserted(QueueConfig(
            T, "b", (SkillRequirement("x", 1), SkillRequirement("y", 2)), strategy="ring-all",
            ring_all_limit=3, wrap_up_s=5, seat_policy=SeatPolicy.EXCLUDE,
            overflow=OverflowRules(max_length=3,
                                   on_max_length=OverflowAction(OverflowKind.CALLBACK),
                                   max_offers=3,
                                   on_max_offers=OverflowAction(OverflowKind.VOICEMAIL)))))
        self.apply(QueueUpserted(QueueConfig(
            T, "c", (SkillRequirement("y", 1),), strategy="ring-progressively",
            progressive_step_s=3, pause_on_no_answer=False, ring_timeout_s=6)))

    def apply(self, event: Event) -> Outcome:
        before = fingerprint(self.engine)
        out = self.engine.apply(event, self.now)
        if out.rejection is not None:
            assert fingerprint(self.engine) == before, out.rejection
            assert not out.commands and not out.decisions
        live = self.engine.state.calls
        for ref, call in live.items():
            assert self.keys.setdefault(ref, call.key) == call.key, "a call lost its place"
        self.keys = {ref: key for ref, key in self.keys.items() if ref in live}
        if not isinstance(event, TimerFired):
            self.check_priority(out)
        return out

    def check_priority(self, out: Outcome) -> None:
        st_ = self.engine.state
        for record in out.decisions:
            if record.trigger is not DecisionTrigger.AGENT_AVAILABLE:
                continue
            chosen = st_.calls.get(record.call)
            agent = st_.agents.get(record.agents[0])
            if chosen is None or agent is None:
                continue
            for other in st_.calls.values():
                if (
                    other.queue is chosen.queue
                    and other.state is CallState.QUEUED
                    and invariants.eligible(agent, other)
                ):
                    assert chosen.key < other.key, "a lower-priority call went first"

    def offered_pairs(self) -> list[tuple[CallRef, AgentRef]]:
        st_ = self.engine.state
        return sorted(
            (c.ref, st_.agents_by_idx[i].ref) for c in st_.calls.values() for i in c.offered
        )

    @rule(call=CALL_IDS, queue=st.sampled_from(QUEUES),
          klass=st.sampled_from([None, *PriorityClass]), priority=st.integers(0, 2))
    def arrive(self, call: str, queue: str, klass: PriorityClass | None, priority: int) -> None:
        self.apply(CallArrived(CallRef(T, call), queue, priority_class=klass, priority=priority))

    @rule(call=CALL_IDS)
    def abandon(self, call: str) -> None:
        self.apply(CallAbandoned(CallRef(T, call)))

    @rule(call=CALL_IDS)
    def callback(self, call: str) -> None:
        self.apply(CallbackRequested(CallRef(T, call)))

    @rule(agent=AGENT_IDS, skills=SKILLS, paused=st.booleans())
    def login(self, agent: str, skills: dict[str, int], paused: bool) -> None:
        self.apply(AgentLoggedIn(AgentRef(T, agent), AgentProfile(skills, order=len(agent)),
                                 "lunch" if paused else None))

    @rule(agent=AGENT_IDS)
    def logout(self, agent: str) -> None:
        self.apply(AgentLoggedOut(AgentRef(T, agent)))

    @rule(agent=AGENT_IDS)
    def ready(self, agent: str) -> None:
        self.apply(AgentReady(AgentRef(T, agent)))

    @rule(agent=AGENT_IDS, reason=st.sampled_from(["lunch", "training", "nap"]))
    def pause(self, agent: str, reason: str) -> None:
        self.apply(AgentPaused(AgentRef(T, agent), reason))

    @rule(agent=AGENT_IDS)
    def wrap_up_ended(self, agent: str) -> None:
        self.apply(WrapUpEnded(AgentRef(T, agent)))

    @rule(data=st.data(), how=st.sampled_from(["accept", "reject", "timeout"]))
    def answer(self, data: st.DataObject, how: str) -> None:
        pairs = self.offered_pairs()
        if not pairs:
            return
        call, agent = data.draw(st.sampled_from(pairs))
        event: Event
        if how == "accept":
            event = OfferAccepted(call, agent)
        elif how == "reject":
            event = OfferRejected(call, agent)
        else:
            event = OfferTimedOut(call, agent)
        self.apply(event)

    @rule(call=CALL_IDS, agent=AGENT_IDS)
    def stray_answer(self, call: str, agent: str) -> None:
        self.apply(OfferAccepted(CallRef(T, call), AgentRef(T, agent)))

    @rule(call=CALL_IDS)
    def end(self, call: str) -> None:
        self.apply(CallEnded(CallRef(T, call)))

    @rule(agent=AGENT_IDS, what=st.sampled_from(["register", "unregister", "bad", "good"]))
    def seat(self, agent: str, what: str) -> None:
        ref = AgentRef(T, agent)
        events: dict[str, Event] = {
            "register": SeatRegistered(ref),
            "unregister": SeatUnregistered(ref),
            "bad": SeatQualityChanged(ref, mos=2.0, jitter_ms=90, loss_pct=6),
            "good": SeatQualityChanged(ref, mos=4.4),
        }
        self.apply(events[what])

    @rule(dt=st.floats(0.5, 40))
    def advance(self, dt: float) -> None:
        self.now += dt
        self.apply(TimerFired())

    @rule()
    def clock_back(self) -> None:
        self.now -= 1
        out = self.apply(TimerFired())
        self.now += 1
        assert out.rejection is not None

    @invariant()
    def whole_state_is_consistent(self) -> None:
        invariants.check(self.engine)


AcdMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAcdStateMachine = AcdMachine.TestCase

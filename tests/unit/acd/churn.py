"""A seeded workload with every kind of churn: rejects, no-answers, relaxation, SLA risk,
pauses, logouts, seat changes and queue reconfiguration, for cross-checking cached state."""

from __future__ import annotations

import random
from collections.abc import Callable

from control_plane.acd import Engine
from control_plane.acd.commands import OfferCall
from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallAbandoned,
    CallArrived,
    CallEnded,
    Event,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
    QueueUpserted,
    SeatQualityChanged,
    TenantUpserted,
    TimerFired,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    AgentState,
    CallRef,
    PriorityClass,
    QueueConfig,
    RelaxStep,
    SeatPolicy,
    SkillRequirement,
    SlaRiskPolicy,
    TenantConfig,
)
from control_plane.acd.strategies import STRATEGIES

SKILLS = ("s0", "s1", "s2", "s3")


def _queue(i: int, strategy: str) -> QueueConfig:
    reqs = [SkillRequirement(SKILLS[i % 4], 1 + i % 4)]
    if i % 3 == 0:
        reqs.append(SkillRequirement(SKILLS[(i + 1) % 4], 1 + i % 2))
    relax = (RelaxStep(8, 2), RelaxStep(20, None)) if i % 2 == 0 else ()
    return QueueConfig(
        "t", f"q{i}", tuple(reqs), strategy=strategy, relaxation=relax,
        sla_risk=SlaRiskPolicy(eval_period_s=3) if i % 3 == 1 else None, ring_timeout_s=6,
        seat_policy=SeatPolicy.EXCLUDE if i % 4 == 0 else SeatPolicy.RANK_DOWN,
    )


def run_churn(
    seed: int, steps: int, observe: Callable[[Engine], None], *, tick: float = 0.0,
    engine_type: type[Engine] = Engine,
) -> None:
    """Drive an engine with seeded churn, calling `observe` after every event.

    With `tick`, event times are rounded down to multiples of it, so many calls arrive at the
    same instant (equal service-level deadlines across queues). `engine_type` lets a caller
    run an Engine subclass (one that records what it applied, say).
    """
    rng = random.Random(seed)
    engine = engine_type(random.Random(seed))
    pending: list[OfferCall] = []
    connected: list[CallRef] = []

    def apply(event: Event, now: float) -> None:
        out = engine.apply(event, now - now % tick if tick else now)
        pending.extend(c for c in out.commands if isinstance(c, OfferCall))
        observe(engine)

    apply(TenantUpserted(TenantConfig("t", frozenset(SKILLS))), 0)
    names = sorted(STRATEGIES)
    for i, name in enumerate(names):
        apply(QueueUpserted(_queue(i, name)), 0)
    agents = [AgentRef("t", f"a{i}") for i in range(16)]
    profiles = [AgentProfile({s: rng.randint(1, 5) for s in rng.sample(SKILLS, 2)}, order=i)
                for i in range(16)]
    for ref, profile in zip(agents, profiles, strict=True):
        apply(AgentLoggedIn(ref, profile), 0)
    now = 0.0
    for n in range(steps):
        now += rng.expovariate(1.5)
        roll = rng.random()
        if roll < 0.35:
            klass = rng.choice([None, None, PriorityClass.VIP])
            queue = f"q{rng.randrange(len(names))}"
            apply(CallArrived(CallRef("t", f"c{n}"), queue, priority_class=klass), now)
        elif roll < 0.6 and pending:
            offer = pending.pop(rng.randrange(len(pending)))
            kind = rng.random()
            if kind < 0.6:
                apply(OfferAccepted(offer.call, offer.agent), now)
                connected.append(offer.call)
            elif kind < 0.8:
                apply(OfferRejected(offer.call, offer.agent), now)
            else:
                apply(OfferTimedOut(offer.call, offer.agent), now)
        elif roll < 0.75 and connected:
            apply(CallEnded(connected.pop(rng.randrange(len(connected)))), now)
        elif roll < 0.8:
            apply(CallAbandoned(CallRef("t", f"c{rng.randrange(n + 1)}")), now)
        elif roll < 0.88:
            i = rng.randrange(len(agents))
            if engine.agent_state(agents[i]) is AgentState.LOGGED_OUT:
                apply(AgentLoggedIn(agents[i], profiles[i]), now)
            elif rng.random() < 0.3:
                apply(AgentLoggedOut(agents[i]), now)
            elif rng.random() < 0.5:
                apply(AgentPaused(agents[i], "break"), now)
            else:
                apply(AgentReady(agents[i]), now)
        elif roll < 0.93:
            apply(SeatQualityChanged(rng.choice(agents), rng.choice([4.2, 2.0])), now)
        elif roll < 0.94:
            i = rng.randrange(len(names))
            apply(QueueUpserted(_queue(i, rng.choice(names))), now)
        else:
            apply(TimerFired(), now)

"""A seeded random workload over every strategy, for determinism checks."""

from __future__ import annotations

import random

from control_plane.acd import Engine
from control_plane.acd.commands import OfferCall
from control_plane.acd.events import (
    AgentLoggedIn,
    CallAbandoned,
    CallArrived,
    CallEnded,
    Event,
    OfferAccepted,
    QueueUpserted,
    TenantUpserted,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    QueueConfig,
    SkillRequirement,
    TenantConfig,
)
from control_plane.acd.strategies import STRATEGIES


def run_scenario(seed: int, steps: int = 400) -> list[tuple[object, ...]]:
    """Drive an engine with seeded traffic; return every decision and command as values."""
    traffic = random.Random(seed)
    engine = Engine(random.Random(seed))
    skills = [f"s{i}" for i in range(4)]
    log: list[tuple[object, ...]] = []

    def apply(event: Event, now: float) -> None:
        out = engine.apply(event, now)
        log.extend((d.call, d.agents, d.rule, d.candidates) for d in out.decisions)
        log.extend(repr(c) for c in out.commands)  # type: ignore[misc]
        for c in out.commands:
            if isinstance(c, OfferCall) and traffic.random() < 0.8:
                pending.append(c)

    pending: list[OfferCall] = []
    apply(TenantUpserted(TenantConfig("t", frozenset(skills))), 0)
    for i, name in enumerate(sorted(STRATEGIES)):
        reqs = (SkillRequirement(skills[i % 4], 1 + i % 3),)
        apply(QueueUpserted(QueueConfig("t", name, reqs, strategy=name)), 0)
    for i in range(30):
        profile = AgentProfile({s: traffic.randint(1, 5) for s in traffic.sample(skills, 2)},
                               order=i, weight=traffic.random())
        apply(AgentLoggedIn(AgentRef("t", f"a{i}"), profile), 0)
    connected: list[CallRef] = []
    now = 0.0
    for n in range(steps):
        now += traffic.expovariate(1.0)
        roll = traffic.random()
        if roll < 0.4:
            apply(CallArrived(CallRef("t", f"c{n}"), traffic.choice(sorted(STRATEGIES))), now)
        elif roll < 0.7 and pending:
            offer = pending.pop(traffic.randrange(len(pending)))
            if engine.call_state(offer.call) is not None:
                apply(OfferAccepted(offer.call, offer.agent), now)
                connected.append(offer.call)
        elif roll < 0.9 and connected:
            apply(CallEnded(connected.pop(traffic.randrange(len(connected)))), now)
        else:
            apply(CallAbandoned(CallRef("t", f"c{traffic.randrange(n + 1)}")), now)
    return log

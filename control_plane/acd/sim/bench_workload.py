"""The benchmark's workload: a busy multi-tenant centre built through the engine's events.

The same shape at every size, so only the sizes of the indexes change: every agent has 3
related skills (proficiency 1–5), every skill is the primary skill of 5 queues, a fifth of
the queues also need the next skill, every queue holds 2 waiting calls on average (at 10,000
agents: exactly 1,000 queues, 200 skills, 2,000 queued calls). At 100 agents the tenants
would have fewer skills than an agent holds, so skills and queues are floored there (12
skills, 60 queues, 120 queued) to keep the per-agent shape.

`loadtests/bench_acd.py` drives it and times it; this module only builds and feeds it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from control_plane.acd.commands import OfferCall
from control_plane.acd.engine import Engine
from control_plane.acd.events import (
    AgentLoggedIn,
    CallArrived,
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
    RelaxStep,
    SkillRequirement,
    SlaRiskPolicy,
    TenantConfig,
)
from control_plane.acd.strategies import STRATEGIES

TENANTS = ("north", "south")
SKILLS_PER_AGENT = 3
QUEUES_PER_SKILL = 5
AGENTS_PER_QUEUE = 10
QUEUED_PER_QUEUE = 2


@dataclass(frozen=True)
class Scale:
    """One benchmark size."""

    agents: int
    queues: int
    skills: int
    queued_calls: int
    iterations: int
    idle_agents: int = 0


def scale_for(agents: int, iterations: int, idle: bool = False) -> Scale:
    """Queues, skills and backlog in fixed ratios to the agents (10,000 → 1,000 / 200 / 2,000).

    Each tenant keeps at least twice as many skills as an agent holds, so agents still choose.
    With `idle`, 90 % of the agents start busy, the backlog is held at zero, and arrivals find
    waiting agents (call-arrival decisions through the queues' strategies).
    """
    skills = max(agents // AGENTS_PER_QUEUE // QUEUES_PER_SKILL,
                 2 * SKILLS_PER_AGENT * len(TENANTS))
    queues = skills * QUEUES_PER_SKILL
    if idle:
        return Scale(agents, queues, skills, 0, iterations, idle_agents=agents // 10)
    return Scale(agents, queues, skills, queues * QUEUED_PER_QUEUE, iterations)


class Workload:
    """One engine with the centre built in it; `apply` accepts every offer at once."""

    def __init__(self, engine: Engine, scale: Scale, rng: random.Random) -> None:
        self.engine = engine
        self.scale = scale
        self.rng = rng
        self.now = 0.0
        self.next_call = 0
        self.connected: list[tuple[CallRef, str]] = []
        self.queue_ids: list[tuple[str, str]] = []

    def apply(self, event: Event) -> str | None:
        """Apply, accept every offer; the queue of the first accepted offer (or None)."""
        out = self.engine.apply(event, self.now)
        taken = None
        for command in out.commands:
            if not isinstance(command, OfferCall):
                continue
            if self.engine.apply(OfferAccepted(command.call, command.agent), self.now).ok:
                self.connected.append((command.call, command.queue.queue))
                taken = taken or command.queue.queue
        return taken

    def build(self) -> None:
        """Tenants, skills, queues, agents, then arrivals until the backlog is reached."""
        self.build_centre()
        self.build_traffic()

    def build_centre(self) -> None:
        """What a controller loads at start-up: tenants, skills, queues, logged-in agents."""
        s, rng = self.scale, self.rng
        strategies = sorted(STRATEGIES)
        per_tenant = s.skills // len(TENANTS)
        names = [f"s{i}" for i in range(per_tenant)]
        for tenant in TENANTS:
            self.engine.apply(TenantUpserted(TenantConfig(tenant, frozenset(names))), 0)
        for q in range(s.queues):
            tenant, j = TENANTS[q % len(TENANTS)], q // len(TENANTS)
            # Exactly QUEUES_PER_SKILL queues per primary skill; the second skill is a related
            # one (the next), which agents with the primary often hold too.
            wanted = [j % per_tenant]
            if rng.random() < 0.2:
                wanted.append((j + 1) % per_tenant)
            reqs = tuple(SkillRequirement(names[k], rng.randint(1, 3)) for k in wanted)
            config = QueueConfig(
                tenant, f"q{q}", reqs, strategy=strategies[j % len(strategies)],
                relaxation=(RelaxStep(30, 1),) if rng.random() < 0.2 else (),
                sla_risk=SlaRiskPolicy() if rng.random() < 0.1 else None, ring_all_limit=3,
            )
            assert self.engine.apply(QueueUpserted(config), 0).ok
            self.queue_ids.append((tenant, f"q{q}"))
        for a in range(s.agents):
            first = rng.randrange(per_tenant)
            skills = {names[(first + i) % per_tenant]: rng.randint(1, 5)
                      for i in range(SKILLS_PER_AGENT)}
            profile = AgentProfile(skills, order=a, weight=rng.uniform(0.5, 2))
            ref = AgentRef(TENANTS[a % len(TENANTS)], f"a{a}")
            assert self.engine.apply(AgentLoggedIn(ref, profile), 0).ok

    def build_traffic(self) -> None:
        """Calls: the busy agents' connected calls, then arrivals until the backlog is held."""
        s, rng = self.scale, self.rng
        for _ in range(3 * s.agents if s.idle_agents else 0):
            if len(self.connected) >= s.agents - s.idle_agents:
                break
            self.arrive(self.queue_ids[rng.randrange(len(self.queue_ids))][1])
        while (gap := s.queued_calls - self.queued()) > 0:
            for _ in range(max(1, gap // 2)):
                self.arrive(self.queue_ids[rng.randrange(len(self.queue_ids))][1])

    def eligible_per_agent(self) -> float:
        """Average number of queues an agent can serve."""
        agents = self.engine.state.agents.values()
        return sum(len(a.eligible) for a in agents) / len(agents)

    def queued(self) -> int:
        """Calls waiting in all queues."""
        return sum(q.waiting_count for q in self.engine.state.queues.values())

    def arrive(self, queue: str) -> None:
        """A new call for the queue (of the tenant that owns it)."""
        self.next_call += 1
        tenant = TENANTS[int(queue[1:]) % len(TENANTS)]
        self.apply(CallArrived(CallRef(tenant, f"c{self.next_call}"), queue))

    def random_queue(self) -> str:
        """A queue drawn uniformly."""
        return self.queue_ids[self.rng.randrange(len(self.queue_ids))][1]

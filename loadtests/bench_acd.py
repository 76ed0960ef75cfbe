"""ACD core benchmark: decisions per second and decision latency at 100 … 50,000 agents.

Each scale builds a steady state — agents logged in and busy, a backlog of queued calls
spread over many queues with mixed strategies, 1–2 required skills each — then runs a loop
that keeps it steady: a random connected call ends (its agent takes the most urgent waiting
call it can serve: a decision), the offer is accepted, and a new call arrives (offered at once
if an eligible agent is idle: a decision; otherwise it queues).

Figures, all on one core in this process:
- `acd_decisions_per_s`: decisions / time spent in the `apply` calls that made them;
- `acd_stream_decisions_per_s`: decisions / time of *every* apply in the loop, including the
  accepts and arrivals that only feed the decisions (the conservative figure);
- `acd_p50_us` / `acd_p99_us`: latency of one deciding `apply` (whole event, not just the pick);
- `acd_rss_mb`: process RSS right after the 10,000-agent state is built and exercised;
- `acd_growth`: decisions/s per agent count; `acd_growth_ok` checks the per-decision cost at
  50,000 agents against log-linear growth from 100 (with 50 % slack for noise).

Run with `python -m loadtests.bench_acd` (or `make bench-acd`); the last line is JSON, also
written to `loadtests/results/acd-<timestamp>.json`.
"""

from __future__ import annotations

import gc
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from control_plane.acd import Engine
from control_plane.acd.commands import OfferCall
from control_plane.acd.events import (
    AgentLoggedIn,
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
    RelaxStep,
    SkillRequirement,
    SlaRiskPolicy,
    TenantConfig,
)
from control_plane.acd.strategies import STRATEGIES

RESULTS = Path(__file__).parent / "results"
TENANTS = ("north", "south")


@dataclass(frozen=True)
class Scale:
    """One benchmark size."""

    agents: int
    queues: int
    skills: int
    queued_calls: int
    iterations: int


def scale_for(agents: int, iterations: int) -> Scale:
    """Queues, skills and backlog grow with the agents (10,000 → 1,000 / 200 / 2,000)."""
    return Scale(agents, max(4, agents // 10), max(4, agents // 50), agents // 5, iterations)


@dataclass
class Figures:
    """Measured figures of one scale."""

    agents: int
    decisions: int
    decide_s: float
    stream_s: float
    latencies_us: list[float]
    queued: int
    build_s: float

    @property
    def decisions_per_s(self) -> float:
        return self.decisions / self.decide_s

    @property
    def stream_decisions_per_s(self) -> float:
        return self.decisions / self.stream_s

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_us)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Bench:
    """Builds one steady state and drives it."""

    def __init__(self, scale: Scale, seed: int = 42) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.engine = Engine(random.Random(seed))
        self.now = 0.0
        self.next_call = 0
        self.connected: list[CallRef] = []
        self.queue_ids: list[tuple[str, str]] = []

    def apply(self, event: Event) -> tuple[int, float, float]:
        """Apply, then accept every offer at once.

        Returns (decisions, seconds in the event's apply, seconds in the accepts' applies).
        """
        clock = time.perf_counter
        start = clock()
        out = self.engine.apply(event, self.now)
        elapsed = clock() - start
        accepting = 0.0
        for command in out.commands:
            if isinstance(command, OfferCall):
                accept = OfferAccepted(command.call, command.agent)
                start = clock()
                ok = self.engine.apply(accept, self.now).ok
                accepting += clock() - start
                if ok:
                    self.connected.append(command.call)
        return len(out.decisions), elapsed, accepting

    def build(self) -> None:
        """Tenants, skills, queues, agents, then arrivals until the backlog is reached."""
        s, rng = self.scale, self.rng
        strategies = sorted(STRATEGIES)
        per_tenant_skills = [f"s{i}" for i in range(s.skills // len(TENANTS))]
        for tenant in TENANTS:
            self.engine.apply(TenantUpserted(TenantConfig(tenant, frozenset(per_tenant_skills))), 0)
        profiles = []
        for a in range(s.agents):
            own = rng.sample(per_tenant_skills, min(6, len(per_tenant_skills)))
            profiles.append(AgentProfile({k: rng.randint(1, 5) for k in own}, order=a,
                                         weight=rng.uniform(0.5, 2)))
        for q in range(s.queues):
            tenant = TENANTS[q % len(TENANTS)]
            # Requirements some agent of the tenant meets, so no queue is left unstaffed and
            # every scale measures the same regime (busy agents, a served backlog).
            model = profiles[rng.randrange(q % len(TENANTS), s.agents, len(TENANTS))]
            wanted = rng.sample(sorted(model.skills), 2 if rng.random() < 0.2 else 1)
            reqs = tuple(SkillRequirement(k, rng.randint(1, model.skills[k])) for k in wanted)
            relax = (RelaxStep(30, 1),) if rng.random() < 0.2 else ()
            risk = SlaRiskPolicy() if rng.random() < 0.1 else None
            config = QueueConfig(tenant, f"q{q}", reqs, strategy=strategies[q % len(strategies)],
                                 relaxation=relax, sla_risk=risk, ring_all_limit=3)
            assert self.engine.apply(QueueUpserted(config), 0).ok
            self.queue_ids.append((tenant, f"q{q}"))
        for a, profile in enumerate(profiles):
            tenant = TENANTS[a % len(TENANTS)]
            assert self.engine.apply(AgentLoggedIn(AgentRef(tenant, f"a{a}"), profile), 0).ok
        while self.queued() < s.queued_calls:
            for _ in range(max(1, (s.queued_calls - self.queued()) // 4)):
                self.arrive()

    def queued(self) -> int:
        return sum(q.waiting_count for q in self.engine.state.queues.values())

    def arrive(self) -> tuple[int, float, float]:
        tenant, queue = self.queue_ids[self.rng.randrange(len(self.queue_ids))]
        self.next_call += 1
        return self.apply(CallArrived(CallRef(tenant, f"c{self.next_call}"), queue))

    def run(self) -> Figures:
        """The measured loop."""
        built = time.perf_counter()
        self.build()
        build_s = time.perf_counter() - built
        decisions, decide_s, stream_s = 0, 0.0, 0.0
        latencies: list[float] = []
        rng = self.rng
        for _ in range(self.scale.iterations):
            self.now += 0.002
            i = rng.randrange(len(self.connected))
            self.connected[i], self.connected[-1] = self.connected[-1], self.connected[i]
            for made, took, accepting in (
                self.apply(CallEnded(self.connected.pop())), self.arrive()
            ):
                stream_s += took + accepting
                if made:
                    decisions += made
                    decide_s += took
                    latencies.append(took * 1e6)
        return Figures(self.scale.agents, decisions, decide_s, stream_s, latencies,
                       self.queued(), build_s)


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


def main() -> int:
    """Run every scale, print the figures, end with one JSON line."""
    plan = [(100, 20_000), (1_000, 20_000), (10_000, 60_000), (50_000, 20_000)]
    results: dict[int, Figures] = {}
    rss_at_10k = math.nan
    for agents, iterations in plan:
        bench = Bench(scale_for(agents, iterations))
        gc.collect()
        figures = bench.run()
        results[agents] = figures
        s = bench.scale
        print(
            f"{agents:>6} agents {s.queues:>5} queues {s.skills:>4} skills "
            f"{figures.queued:>6} queued | {figures.decisions_per_s:>9,.0f} decisions/s "
            f"(stream {figures.stream_decisions_per_s:>8,.0f}/s) p50 "
            f"{figures.percentile(0.5):6.1f} us p99 {figures.percentile(0.99):6.1f} us "
            f"| build {figures.build_s:5.1f} s",
            flush=True,
        )
        if agents == 10_000:
            rss_at_10k = rss_mb()
            print(f"        RSS with the 10,000-agent state: {rss_at_10k:.1f} MiB", flush=True)
        del bench
        gc.collect()
    main_fig = results[10_000]
    cost = {n: 1.0 / f.decisions_per_s for n, f in results.items()}
    allowed = math.log(50_000) / math.log(100) * 1.5
    growth_ratio = cost[50_000] / cost[100]
    summary = {
        "acd_decisions_per_s": round(main_fig.decisions_per_s),
        "acd_stream_decisions_per_s": round(main_fig.stream_decisions_per_s),
        "acd_p50_us": round(main_fig.percentile(0.5), 1),
        "acd_p99_us": round(main_fig.percentile(0.99), 1),
        "acd_rss_mb": round(rss_at_10k, 1),
        "acd_growth": {str(n): round(f.decisions_per_s) for n, f in results.items()},
        "acd_growth_cost_ratio_50k_vs_100": round(growth_ratio, 2),
        "acd_growth_ok": growth_ratio <= allowed,
        "acd_targets_met": main_fig.decisions_per_s >= 50_000
        and main_fig.percentile(0.99) < 100
        and rss_at_10k < 150
        and growth_ratio <= allowed,
        "python": sys.version.split()[0],
    }
    line = json.dumps(summary, sort_keys=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (RESULTS / f"acd-{stamp}.json").write_text(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""ACD core benchmark: decisions per second and decision latency at 100 … 50,000 agents.

The workload has the same shape at every size, so only the sizes of the indexes change:
every agent has 3 related skills (proficiency 1–5), every skill is the primary skill of 5
queues, a fifth of the queues also need the next skill, every queue holds 2 waiting calls on
average (at 10,000 agents: exactly 1,000 queues, 200 skills, 2,000 queued calls). At 100
agents the tenants would have fewer skills than an agent holds, so skills and queues are
floored there (12 skills, 60 queues, 120 queued) to keep the per-agent shape.

The measured loop is a busy centre in steady state: a random connected call ends, its agent
takes the most urgent call it can serve (a decision), the offer is accepted, and a new call
arrives at the queue that call came from (offered at once if an eligible agent is idle: a
decision; otherwise it waits). Every 100 iterations the backlog is put back to exactly the
target (relaxation and idle agents make it drift by a few calls); the drift is reported.
Under a backlog every decision is an agent becoming free (cross-queue arbitration); a second
run at 10,000 agents with no backlog measures call-arrival decisions (the queues' strategies).

Figures, all on one core in this process, with the garbage collector left on. The loop is cut
into rounds of 1,000 deciding applies; rates and p99 are the median over rounds (robust to
other processes taking the shared core for a while), the all-rounds figures are printed too:
- `acd_decisions_per_s`: decisions / time spent in the `apply` calls that made them;
- `acd_stream_decisions_per_s`: decisions / time of *every* apply in the loop, including the
  accepts and arrivals that only feed the decisions (the conservative throughput);
- `acd_p50_us` / `acd_p99_us`: latency of one deciding `apply` (the whole event: the call's
  end, the pick, the offer and its audit record);
- `acd_pick_p50_us` / `acd_pick_p99_us` / `acd_pick_decisions_per_s`: the decision alone
  (candidates, choice, offer), as the engine's audit records it, without the event around it;
- `acd_rss_mb`: process RSS right after the 10,000-agent state is built and exercised;
- `acd_arrival_*`: the same for the no-backlog run (not part of the issue's target, which is
  set at 2,000 queued calls);
- `acd_growth`: decisions/s per agent count; `acd_growth_ok` checks every size against
  log-linear growth from 100 agents (cost(n)/cost(100) ≤ ln n / ln 100, with 15 % for noise).

Run with `python -m loadtests.bench_acd` (or `make bench-acd`); the last line is JSON, also
written to `loadtests/results/acd-<timestamp>.json`.
"""

from __future__ import annotations

import gc
import json
import math
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
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
SKILLS_PER_AGENT = 3
QUEUES_PER_SKILL = 5
AGENTS_PER_QUEUE = 10
QUEUED_PER_QUEUE = 2
CHECK_EVERY = 100
ROUND = 1_000
NOISE = 1.15


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


@dataclass
class Figures:
    """Measured figures of one scale; one entry per deciding apply in `made`/`latencies_us`."""

    agents: int
    stream_s: float = 0.0
    made: list[int] = field(default_factory=list)
    latencies_us: list[float] = field(default_factory=list)
    picks_us: list[float] = field(default_factory=list)
    triggers: Counter[str] = field(default_factory=Counter)
    backlog: list[int] = field(default_factory=list)
    eligible_per_agent: float = 0.0
    build_s: float = 0.0

    def rounds(self) -> list[tuple[float, float]]:
        """(decisions/s, p99 µs) of each round of ROUND deciding applies."""
        lat, made = self.latencies_us, self.made
        return [(sum(made[i:i + ROUND]) / sum(lat[i:i + ROUND]) * 1e6,
                 percentile(lat[i:i + ROUND], 0.99)) for i in range(0, len(lat) - ROUND + 1, ROUND)]

    @property
    def decisions_per_s(self) -> float:
        """Median over rounds of decisions per second of deciding applies."""
        return statistics.median(r[0] for r in self.rounds())

    @property
    def p99_us(self) -> float:
        """Median over rounds of the p99 latency of deciding applies."""
        return statistics.median(r[1] for r in self.rounds())

    @property
    def overall_decisions_per_s(self) -> float:
        """Decisions per second over the whole loop, every round included."""
        return sum(self.made) / sum(self.latencies_us) * 1e6

    @property
    def stream_decisions_per_s(self) -> float:
        """Decisions per second of every apply in the loop."""
        return sum(self.made) / self.stream_s


def percentile(values: list[float], p: float) -> float:
    """The p-quantile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Bench:
    """Builds one steady state and drives it."""

    def __init__(self, scale: Scale, seed: int = 42) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.engine = Engine(random.Random(seed), clock=time.perf_counter)
        self.now = 0.0
        self.next_call = 0
        self.connected: list[tuple[CallRef, str]] = []
        self.queue_ids: list[tuple[str, str]] = []
        self.fig = Figures(scale.agents)

    def apply(self, event: Event) -> str | None:
        """Apply (timed), then accept every offer at once; the queue of the first offer."""
        fig, clock = self.fig, time.perf_counter
        start = clock()
        out = self.engine.apply(event, self.now)
        took = clock() - start
        fig.stream_s += took
        if out.decisions:
            fig.made.append(len(out.decisions))
            fig.latencies_us.append(took * 1e6)
            for record in out.decisions:
                fig.triggers[record.trigger.value] += 1
                if record.elapsed_us is not None:
                    fig.picks_us.append(record.elapsed_us)
        taken = None
        for command in out.commands:
            if isinstance(command, OfferCall):
                start = clock()
                ok = self.engine.apply(OfferAccepted(command.call, command.agent), self.now).ok
                fig.stream_s += clock() - start
                if ok:
                    self.connected.append((command.call, command.queue.queue))
                    taken = taken or command.queue.queue
        return taken

    def build(self) -> None:
        """Tenants, skills, queues, agents, then arrivals until the backlog is reached."""
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
        agents = self.engine.state.agents.values()
        self.fig.eligible_per_agent = sum(len(a.eligible) for a in agents) / len(agents)
        for _ in range(3 * s.agents if s.idle_agents else 0):
            if len(self.connected) >= s.agents - s.idle_agents:
                break
            self.arrive(self.queue_ids[rng.randrange(len(self.queue_ids))][1])
        while (gap := s.queued_calls - self.queued()) > 0:
            for _ in range(max(1, gap // 2)):
                self.arrive(self.queue_ids[rng.randrange(len(self.queue_ids))][1])

    def queued(self) -> int:
        """Calls waiting in all queues."""
        return sum(q.waiting_count for q in self.engine.state.queues.values())

    def arrive(self, queue: str) -> None:
        """A new call for the queue (of the tenant that owns it)."""
        self.next_call += 1
        tenant = TENANTS[int(queue[1:]) % len(TENANTS)]
        self.apply(CallArrived(CallRef(tenant, f"c{self.next_call}"), queue))

    def run(self) -> Figures:
        """Build, then the measured loop."""
        built = time.perf_counter()
        self.build()
        fig = self.fig = Figures(self.scale.agents, eligible_per_agent=self.fig.eligible_per_agent,
                                 build_s=time.perf_counter() - built)
        rng, target, skip = self.rng, self.scale.queued_calls, 0
        for i in range(self.scale.iterations):
            self.now += 0.002
            k = rng.randrange(len(self.connected))
            self.connected[k], self.connected[-1] = self.connected[-1], self.connected[k]
            call, queue = self.connected.pop()
            taken = self.apply(CallEnded(call))
            if skip:
                skip -= 1
            else:
                self.arrive(taken or queue)
            if i % CHECK_EVERY == 0:
                queued = self.queued()
                fig.backlog.append(queued)
                skip = max(0, queued - target)
                for _ in range(target - queued):
                    self.arrive(self.queue_ids[rng.randrange(len(self.queue_ids))][1])
        return fig


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


def pcts(values: list[float]) -> str:
    """p50 and p99 of latencies in µs, for the report line."""
    return f"p50 {percentile(values, 0.5):5.1f} p99 {percentile(values, 0.99):5.1f} us"


def report(bench: Bench, fig: Figures) -> None:
    """One human-readable line per scale."""
    s = bench.scale
    mix = ", ".join(f"{k} {v / sum(fig.made):.0%}" for k, v in fig.triggers.most_common(3))
    idle = sum(a.idle_keys is not None for a in bench.engine.state.agents.values())
    print(f"{s.agents:>6} agents {s.queues:>5} queues {s.skills:>4} skills {s.queued_calls:>5} "
          f"queued (held {min(fig.backlog)}..{max(fig.backlog)}), {fig.eligible_per_agent:4.1f} "
          f"queues/agent, {idle:>4} idle | {fig.decisions_per_s:>6,.0f} decisions/s (all rounds "
          f"{fig.overall_decisions_per_s:>6,.0f}, stream {fig.stream_decisions_per_s:>6,.0f}) | "
          f"apply p50 {percentile(fig.latencies_us, 0.5):4.1f} p99 {fig.p99_us:5.1f} (all "
          f"{percentile(fig.latencies_us, 0.99):5.1f}) us | pick p50 "
          f"{percentile(fig.picks_us, 0.5):4.1f} p99 {percentile(fig.picks_us, 0.99):5.1f} us | "
          f"build {fig.build_s:4.1f} s | {mix}", flush=True)


def growth_check(results: dict[int, Figures]) -> tuple[dict[str, float], bool]:
    """Per-decision cost relative to 100 agents, and whether it stays within ln n / ln 100."""
    base = results[min(results)]
    ratios, ok = {}, True
    for n, f in sorted(results.items()):
        ratio = base.decisions_per_s / f.decisions_per_s
        ratios[str(n)] = round(ratio, 2)
        ok = ok and ratio <= math.log(n) / math.log(base.agents) * NOISE
    return ratios, ok


def main() -> int:
    """Run every scale, print the figures, end with one JSON line."""
    plan = [(100, 20_000), (1_000, 20_000), (10_000, 60_000), (50_000, 20_000)]
    results: dict[int, Figures] = {}
    rss_at_10k = math.nan
    for agents, iterations in plan:
        bench = Bench(scale_for(agents, iterations))
        gc.collect()
        results[agents] = fig = bench.run()
        report(bench, fig)
        if agents == 10_000:
            rss_at_10k = rss_mb()
            print(f"        RSS with the 10,000-agent state: {rss_at_10k:.1f} MiB", flush=True)
        del bench
        gc.collect()
    idle = Bench(scale_for(10_000, 60_000, idle=True))
    idle_fig = idle.run()
    report(idle, idle_fig)
    del idle
    main, arrival = results[10_000], idle_fig
    ratios, growth_ok = growth_check(results)
    summary = {
        "acd_decisions_per_s": round(main.decisions_per_s),
        "acd_decisions_per_s_all_rounds": round(main.overall_decisions_per_s),
        "acd_stream_decisions_per_s": round(main.stream_decisions_per_s),
        "acd_p50_us": round(percentile(main.latencies_us, 0.5), 1),
        "acd_p99_us": round(main.p99_us, 1),
        "acd_p99_all_rounds_us": round(percentile(main.latencies_us, 0.99), 1),
        "acd_pick_p50_us": round(percentile(main.picks_us, 0.5), 1),
        "acd_pick_p99_us": round(percentile(main.picks_us, 0.99), 1),
        "acd_pick_decisions_per_s": round(len(main.picks_us) / sum(main.picks_us) * 1e6),
        "acd_rss_mb": round(rss_at_10k, 1),
        "acd_arrival_decisions_per_s": round(arrival.decisions_per_s),
        "acd_arrival_p50_us": round(percentile(arrival.latencies_us, 0.5), 1),
        "acd_arrival_p99_us": round(arrival.p99_us, 1),
        "acd_growth": {str(n): round(f.decisions_per_s) for n, f in results.items()},
        "acd_growth_cost_vs_100": ratios,
        "acd_growth_ok": growth_ok,
        "acd_targets_met": main.decisions_per_s >= 50_000 and main.p99_us < 100
        and rss_at_10k < 150 and growth_ok,
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

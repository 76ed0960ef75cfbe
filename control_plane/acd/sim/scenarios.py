"""Ready-made scenarios for the command line."""

from __future__ import annotations

import random

from control_plane.acd.model import (
    OverflowAction,
    OverflowKind,
    OverflowRules,
    QueueConfig,
    RelaxStep,
    SkillRequirement,
)
from control_plane.acd.sim.traffic import AgentSpec, QueueTraffic, Scenario

# Calls per hour relative to the daily mean: quiet nights, a morning and an afternoon peak.
OFFICE_DAY = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 1.9, 1.8, 1.5,
    1.2, 1.4, 1.7, 1.8, 1.6, 1.3, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3,
)


def single_queue(
    agents: int, calls_per_hour: float, mean_handle_s: float, *, hours: float, seed: int,
    mean_patience_s: float | None = None, exponential: bool = True, strategy: str = "longest-idle",
) -> Scenario:
    """One queue, one skill, identical agents: the Erlang C / Erlang A reference setting."""
    config = QueueConfig("sim", "q", (SkillRequirement("s"),), strategy=strategy)
    traffic = QueueTraffic(config, calls_per_hour, mean_handle_s,
                           None if exponential else 0.6, mean_patience_s)
    staff = tuple(AgentSpec(f"a{i}", {"s": 3}) for i in range(agents))
    return Scenario("sim", frozenset({"s"}), (traffic,), staff, hours * 3600.0,
                    warmup_s=min(3600.0, hours * 360.0), seed=seed)


def office(
    queues: int, agents: int, *, hours: float, seed: int, strategy: str = "longest-idle",
    calls_per_hour: float = 60.0,
) -> Scenario:
    """Several queues with their own skills, multi-skilled agents on two shifts, a day profile,
    log-normal handle times, impatient callers, relaxation and overflow to voicemail."""
    rng = random.Random(seed)
    skills = [f"skill{i}" for i in range(queues)]
    traffic = []
    for i, skill in enumerate(skills):
        config = QueueConfig(
            "sim", f"q{i}", (SkillRequirement(skill, 3),), strategy=strategy, wrap_up_s=15,
            relaxation=(RelaxStep(30, 1),),
            overflow=OverflowRules(max_wait_s=600,
                                   on_max_wait=OverflowAction(OverflowKind.VOICEMAIL)),
        )
        traffic.append(QueueTraffic(config, calls_per_hour, 240.0, 0.7, 180.0, OFFICE_DAY,
                                    vip_share=0.05))
    shift = hours * 3600.0 / 2 if hours > 10 else float("inf")
    staff = []
    for n in range(agents):
        own = rng.sample(skills, k=min(len(skills), rng.randint(1, 3)))
        start = 0.0 if n % 2 == 0 or shift == float("inf") else shift
        end = shift if n % 2 == 0 and shift != float("inf") else float("inf")
        staff.append(AgentSpec(f"a{n}", {s: rng.randint(1, 5) for s in own}, start, end))
    return Scenario("sim", frozenset(skills), tuple(traffic), tuple(staff), hours * 3600.0,
                    warmup_s=0.0, answer_delay_s=3.0, no_answer_share=0.02, seed=seed,
                    start_hour=7.0)

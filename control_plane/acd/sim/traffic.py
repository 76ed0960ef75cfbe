"""Scenarios and seeded synthetic traffic: Poisson arrivals with a time-of-day profile,
log-normal (or exponential) handle times and exponential patience."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from control_plane.acd.model import QueueConfig

FLAT_PROFILE = (1.0,) * 24


@dataclass(frozen=True, slots=True)
class QueueTraffic:
    """Traffic offered to one queue.

    `profile` multiplies `calls_per_hour` for each hour of the day (24 values); handle times
    are log-normal with the given mean and coefficient of variation, or exponential when
    `handle_cv` is None; patience is exponential with `mean_patience_s` (None: infinite).
    """

    config: QueueConfig
    calls_per_hour: float
    mean_handle_s: float = 180.0
    handle_cv: float | None = 0.6
    mean_patience_s: float | None = None
    profile: tuple[float, ...] = FLAT_PROFILE
    vip_share: float = 0.0


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent of the simulated center, with skills and one shift [start, end) in seconds."""

    name: str
    skills: dict[str, int]
    shift_start_s: float = 0.0
    shift_end_s: float = math.inf


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole simulated day (or part of one)."""

    tenant: str
    skills: frozenset[str]
    queues: tuple[QueueTraffic, ...]
    agents: tuple[AgentSpec, ...]
    duration_s: float
    warmup_s: float = 0.0
    answer_delay_s: float = 0.0
    no_answer_share: float = 0.0
    rona_pause_s: float = 60.0
    seed: int = 1
    start_hour: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One caller: when, where, how long they talk and how long they would wait."""

    at: float
    queue: str
    call_id: str
    handle_s: float
    patience_s: float
    vip: bool


def _handle(rng: random.Random, traffic: QueueTraffic) -> float:
    mean = traffic.mean_handle_s
    if traffic.handle_cv is None:
        return rng.expovariate(1.0 / mean)
    sigma2 = math.log(1.0 + traffic.handle_cv**2)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


def generate_arrivals(scenario: Scenario) -> list[Arrival]:
    """All callers of the scenario in time order; the same seed gives the same callers.

    The non-homogeneous Poisson process is drawn by thinning a homogeneous one at the
    profile's peak rate.
    """
    rng = random.Random(scenario.seed)
    arrivals: list[Arrival] = []
    for traffic in scenario.queues:
        peak = traffic.calls_per_hour * max(traffic.profile) / 3600.0
        if peak <= 0:
            continue
        t = 0.0
        n = 0
        while True:
            t += rng.expovariate(peak)
            if t >= scenario.duration_s:
                break
            hour = int((scenario.start_hour + t / 3600.0) % 24)
            keep = rng.random() * max(traffic.profile) < traffic.profile[hour]
            handle = _handle(rng, traffic)
            patience = (
                math.inf if traffic.mean_patience_s is None
                else rng.expovariate(1.0 / traffic.mean_patience_s)
            )
            vip = rng.random() < traffic.vip_share
            if keep:
                n += 1
                arrivals.append(
                    Arrival(t, traffic.config.queue_id, f"{traffic.config.queue_id}-{n}",
                            handle, patience, vip)
                )
    arrivals.sort(key=lambda a: (a.at, a.call_id))
    return arrivals

"""Erlang C (M/M/N) and Erlang A (M/M/N+M, callers abandon) staffing formulas.

Traffic ``a`` is offered load in Erlangs: arrivals per second × AHT seconds.
Erlang C assumes infinitely patient callers and over-staffs queues where callers hang up;
Erlang A adds exponential patience (mean ``patience_s``) and is solved numerically on its
birth–death chain, so its figures include abandonment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 10_000


def erlang_b(a: float, n: int) -> float:
    """Blocking probability of n servers under load a (stable recurrence, no factorials)."""
    if a < 0 or n < 0:
        raise ValueError("load and servers must be non-negative")
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(a: float, n: int) -> float:
    """Probability that a caller waits (1 when n <= a: the queue grows without bound)."""
    if n <= a:
        return 1.0
    b = erlang_b(a, n)
    return n * b / (n - a * (1 - b))


def erlang_c_service_level(a: float, n: int, aht_s: float, target_s: float) -> float:
    """Share of callers answered within ``target_s``."""
    if n <= a:
        return 0.0
    return 1.0 - erlang_c(a, n) * math.exp(-(n - a) * target_s / aht_s)


def erlang_c_asa(a: float, n: int, aht_s: float) -> float:
    """Average speed of answer, seconds (inf when n <= a)."""
    if n <= a:
        return math.inf
    return erlang_c(a, n) * aht_s / (n - a)


@dataclass(frozen=True)
class ErlangA:
    """Steady-state figures of M/M/N+M for one staffing level."""

    agents: int
    p_wait: float
    p_abandon: float
    service_level: float
    """Answered within the target ÷ all callers (abandons count against it)."""
    asa_s: float
    """Average wait of the callers who were answered."""
    occupancy: float


def _stationary(lam: float, mu: float, theta: float, n: int) -> list[float]:
    # Birth-death chain on the number in system; truncated once the tail is negligible.
    probs = [1.0]
    total = 1.0
    k = 0
    while True:
        k += 1
        death = mu * min(k, n) + theta * max(k - n, 0)
        if death <= 0:
            raise ValueError("with no patience limit the load must be below the agents")
        probs.append(probs[-1] * lam / death)
        total += probs[-1]
        if (k > n and probs[-1] < 1e-12 * total) or k > n + 100_000:
            break
    return [p / total for p in probs]


def erlang_a(calls_per_s: float, aht_s: float, patience_s: float, agents: int,
             target_s: float) -> ErlangA:
    """M/M/N+M figures for ``agents`` (arrivals Poisson, handle and patience exponential)."""
    if min(calls_per_s, aht_s, patience_s) <= 0 or agents <= 0:
        raise ValueError("rates, times and agents must be positive")
    lam, mu, theta, n = calls_per_s, 1.0 / aht_s, 1.0 / patience_s, agents
    pi = _stationary(lam, mu, theta, n)
    p_wait = sum(pi[n:])
    queue = [pi[k] for k in range(n, len(pi))]  # arriving to find k-n callers ahead
    p_abandon = theta * sum(i * q for i, q in enumerate(queue)) / lam
    served_within, served_waits = _served_within(queue, n * mu, theta, target_s)
    served = 1.0 - p_abandon
    busy = sum(min(k, n) * p for k, p in enumerate(pi))
    return ErlangA(
        agents=n, p_wait=p_wait, p_abandon=p_abandon,
        service_level=(1.0 - p_wait) + served_within,
        asa_s=served_waits / served if served > 0 else math.inf,
        occupancy=busy / n,
    )


def _served_within(queue: list[float], service_rate: float, theta: float,
                   target_s: float) -> tuple[float, float]:
    """P(wait, then answered within target) and E[wait · 1(answered)].

    A caller finding i callers ahead passes stages i, i-1, ..., 0; at stage m it moves on
    at rate r_m = service_rate + m·theta (a service, or someone ahead giving up) and gives
    up itself at rate theta. Stage times do not depend on how a stage ends, so
    P(answered within t) = P(answered) · P(sum of stage times <= t), and the CDFs F_m of
    those sums follow F_m' = R_m (F_{m-1} - F_m), integrated exactly per step.
    """
    answered_within = 0.0
    wait_mass = 0.0
    s_prev, f_prev = 1.0, 0.0  # P(answered), E[T·1(answered)] from the stage before
    survivors: list[float] = []  # P(answered) from position i
    for m in range(len(queue)):
        r = service_rate + m * theta
        big_r = r + theta
        s_m = (r / big_r) * s_prev
        f_m = (r / big_r) * (s_prev / big_r + f_prev)
        survivors.append(s_m)
        wait_mass += queue[m] * f_m
        s_prev, f_prev = s_m, f_m
    steps = max(50, int(target_s * 8))
    h = target_s / steps if target_s > 0 else 0.0
    cdf = [0.0] * len(queue)
    decay = [math.exp(-(service_rate + (m + 1) * theta) * h) for m in range(len(queue))]
    for _ in range(steps if h > 0 else 0):
        prev_old = prev_new = 1.0  # F_{-1} = 1: nothing left to pass
        for m in range(len(queue)):
            old = cdf[m]
            # exact for the stage's own decay; trapezoid for its input F_{m-1}
            cdf[m] = old * decay[m] + (1.0 - decay[m]) * (prev_old + prev_new) / 2
            prev_old, prev_new = old, cdf[m]
    for m, q in enumerate(queue):
        answered_within += q * survivors[m] * cdf[m]
    return answered_within, wait_mass

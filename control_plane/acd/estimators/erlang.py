"""Erlang C (M/M/n) and Erlang A (M/M/n+M) formulas, for risk prediction and sim validation."""

from __future__ import annotations

import math


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/n/n with offered load `load` (Erlangs)."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability an arriving call waits in M/M/n (1.0 when the queue is unstable)."""
    if agents <= 0 or load >= agents:
        return 1.0
    if load <= 0.0:
        return 0.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


def erlang_c_service_level(agents: int, load: float, aht_s: float, threshold_s: float) -> float:
    """Fraction of calls answered within `threshold_s` in M/M/n."""
    if agents <= 0 or load >= agents:
        return 0.0
    wait = erlang_c(agents, load)
    return 1.0 - wait * math.exp(-(agents - load) * threshold_s / aht_s)


def erlang_c_mean_wait(agents: int, load: float, aht_s: float) -> float:
    """Mean wait over all calls in M/M/n (inf when unstable)."""
    if agents <= 0 or load >= agents:
        return math.inf
    return erlang_c(agents, load) * aht_s / (agents - load)


def erlang_a(
    agents: int, arrival_rate: float, aht_s: float, mean_patience_s: float
) -> tuple[float, float]:
    """(P(wait), P(abandon)) of M/M/n+M, from its birth–death chain.

    The chain is truncated where the stationary mass has become negligible; abandonment makes
    it stable at any load.
    """
    mu = 1.0 / aht_s
    theta = 1.0 / mean_patience_s
    # Unnormalised stationary probabilities via successive ratios, in floats scaled on the fly.
    probs = [1.0]
    k = 0
    while True:
        k += 1
        death = min(k, agents) * mu + max(k - agents, 0) * theta
        probs.append(probs[-1] * arrival_rate / death)
        if probs[-1] > 1e250:
            probs = [p / 1e250 for p in probs]
        if k > agents and probs[-1] < 1e-16 * max(probs):
            break
    total = sum(probs)
    p_wait = sum(probs[agents:]) / total
    abandon_rate = sum(p * (j - agents) * theta for j, p in enumerate(probs) if j > agents)
    return p_wait, abandon_rate / total / arrival_rate

"""Estimated wait for a position in a queue, and a queue's risk of missing its target.

A caller at position k (1-based) is answered after k service completions among the agents
serving the queue. With `servers` effective agents and mean handle time h, completions come at
rate servers/h, so the wait is Gamma(k, h/servers): mean k·h/servers. The band is the 10th and
90th percentile, from the Wilson–Hilferty approximation of the chi-square quantile.
"""

from __future__ import annotations

import math

from control_plane.acd.commands import WaitEstimate
from control_plane.acd.estimators.erlang import erlang_c

Z90 = 1.2815515655446004
# Below these the figures are float noise (staffing shares) or degenerate observations
# (a call ended the instant it connected), not a real staff or handle time.
MIN_SERVERS = 1e-6
MIN_HANDLE_S = 1.0


def _gamma_quantile(shape: float, scale: float, z: float) -> float:
    # Gamma(k, θ) = θ/2 · χ²(2k); Wilson–Hilferty: χ²_ν ≈ ν(1 − 2/9ν + z·√(2/9ν))³.
    nu = 2.0 * shape
    c = 2.0 / (9.0 * nu)
    return max(scale / 2.0 * nu * max(1.0 - c + z * math.sqrt(c), 0.0) ** 3, 0.0)


def estimate_wait(position: int, servers: float, aht_s: float) -> WaitEstimate:
    """Estimated wait of the caller at `position` (1 = next) with a 10–90 % band."""
    if position <= 0:
        return WaitEstimate(0.0, 0.0, 0.0)
    if servers <= MIN_SERVERS:
        return WaitEstimate(math.inf, math.inf, math.inf)
    scale = max(aht_s, MIN_HANDLE_S) / servers
    return WaitEstimate(
        expected_s=position * scale,
        low_s=_gamma_quantile(position, scale, -Z90),
        high_s=_gamma_quantile(position, scale, Z90),
    )


def miss_probability(
    arrival_rate: float, aht_s: float, servers: float, threshold_s: float, waiting: int
) -> float:
    """Predicted probability that a call arriving now waits longer than `threshold_s`.

    Erlang C gives the steady-state tail; when the queue already holds more callers than the
    staff clears within the threshold, the present backlog dominates and the risk is the
    probability that the next caller's wait (behind them) exceeds it.
    """
    if servers <= MIN_SERVERS:
        return 1.0
    aht_s = max(aht_s, MIN_HANDLE_S)
    n = max(int(servers), 1)
    load = arrival_rate * aht_s
    steady = 1.0
    if load < n:
        steady = erlang_c(n, load) * math.exp(-(n - load) * threshold_s / aht_s)
    if waiting <= 0:
        return steady
    # P(Gamma(waiting + 1, aht/servers) > threshold) through the normal approximation.
    scale = aht_s / servers
    mean = (waiting + 1) * scale
    sd = math.sqrt(waiting + 1) * scale
    backlog = 0.5 * math.erfc((threshold_s - mean) / (sd * math.sqrt(2.0)))
    return max(steady, backlog)

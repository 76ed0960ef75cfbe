"""Observed rates with exponential forgetting, driven by event times rather than a clock."""

from __future__ import annotations

import math


class DecayingRate:
    """Events per second over roughly the last `horizon_s`, with exponential forgetting.

    Each event adds 1 to a counter that decays as exp(-dt / horizon); the rate is the counter
    divided by the horizon, or by the time observed so far while that is shorter (warm-up).
    The observed span counts as at least `warmup_s`, so a single early arrival reads as a
    modest rate rather than one call per second.
    """

    __slots__ = ("_count", "_first", "_horizon", "_last", "_warmup")

    def __init__(self, horizon_s: float = 900.0, warmup_s: float = 300.0) -> None:
        self._horizon = horizon_s
        self._warmup = warmup_s
        self._count = 0.0
        self._first: float | None = None
        self._last = 0.0

    def observe(self, at: float) -> None:
        """Count one event at time `at`."""
        if self._first is None:
            self._first = self._last = at
        self._count = self._count * math.exp(-max(at - self._last, 0.0) / self._horizon) + 1.0
        self._last = max(at, self._last)

    def rate(self, now: float) -> float:
        """Events per second as seen at `now`."""
        if self._first is None:
            return 0.0
        decayed = self._count * math.exp(-max(now - self._last, 0.0) / self._horizon)
        span = max(now - self._first, self._warmup)
        # During warm-up the counter has not reached its steady state horizon × rate.
        return decayed / (self._horizon * (1.0 - math.exp(-span / self._horizon)))


class Ewma:
    """An exponentially weighted mean with a prior used until the first observation."""

    __slots__ = ("_alpha", "_n", "_value")

    def __init__(self, prior: float, alpha: float = 0.05) -> None:
        self._value = prior
        self._alpha = alpha
        self._n = 0

    def observe(self, value: float) -> None:
        """Fold one observation in; the first few weigh more so the prior fades fast."""
        self._n += 1
        weight = max(self._alpha, 1.0 / self._n)
        self._value += weight * (value - self._value)

    @property
    def value(self) -> float:
        """The current mean."""
        return self._value

    @property
    def observations(self) -> int:
        """How many values were folded in."""
        return self._n

"""Sliding-window counters for login attempts, per client address and per (address, user).

In process memory: each replica limits on its own, so N replicas allow N times the budget
(a Redis-backed window can replace this behind the same two methods). Memory is bounded:
past ``max_keys`` the least recently hit key is forgotten.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class SlidingWindow:
    """At most ``limit`` hits per key within any ``window_seconds``; ``clock`` is monotonic."""

    def __init__(self, *, limit: int, window_seconds: float, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._window = window_seconds
        self._max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def _recent(self, key: Hashable, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: Hashable) -> float | None:
        """Seconds until ``key`` may try again, or None when it is under its limit."""
        now = self._clock()
        hits = self._recent(key, now)
        if hits is None or len(hits) < self._limit:
            return None
        # The oldest hit that keeps the count at the limit has to leave the window.
        return hits[-self._limit] + self._window - now

    def hit(self, key: Hashable) -> None:
        """Count one attempt for ``key`` now."""
        now = self._clock()
        hits = self._recent(key, now)
        if hits is None:
            hits = self._hits[key] = deque()
        hits.append(now)
        self._hits.move_to_end(key)
        while len(self._hits) > self._max_keys:
            self._hits.popitem(last=False)
        # Only the last ``limit`` hits matter for the answer; older ones are dead weight.
        while len(hits) > self._limit:
            hits.popleft()

    def __len__(self) -> int:
        return len(self._hits)

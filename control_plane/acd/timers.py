"""The engine's own timers: a heap of due times with cancellation by token.

The core has no clock; the caller passes `now` with each event and the engine runs every timer
due by then, in due order, each at its own due time.
"""

from __future__ import annotations

import heapq
from enum import IntEnum


class TimerKind(IntEnum):
    """What a timer does when it fires."""

    RING = 0
    WRAP_UP = 1
    RELAX = 2
    MAX_WAIT = 3
    ANNOUNCE = 4
    PROGRESS = 5
    SLA_RISK = 6


# A timer's identity, (kind, subject), packed into one int: subjects are non-negative ints
# (a call's seq, an agent's idx, a queue's qidx), kinds fit in 3 bits. Int keys and heap
# entries of plain numbers cost no tuple per key and are untracked by the garbage collector.
_KIND_BITS = 3
_KIND_MASK = (1 << _KIND_BITS) - 1
_KINDS = tuple(TimerKind)
INF = float("inf")


class Timers:
    """Timers keyed by (kind, subject); setting a key again replaces the earlier timer."""

    __slots__ = ("_heap", "_live", "_room", "_seq", "first")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int]] = []  # (due, token, key)
        self._live: dict[int, int] = {}  # key -> token of its live entry
        self._seq = 0
        self._room = 1024  # pushes before the next look at compaction
        # No entry is due before this (the heap's first due, live or cancelled): the engine
        # compares it with `now` on every event instead of calling `maybe_due`.
        self.first = INF

    def __len__(self) -> int:
        return len(self._live)

    def set(self, kind: TimerKind, subject: int, due: float) -> None:
        """Arm (or re-arm) the timer for this subject."""
        self._seq += 1
        key = subject << _KIND_BITS | kind
        self._live[key] = self._seq
        heapq.heappush(self._heap, (due, self._seq, key))
        if due < self.first:  # noqa: PLR1730  (an if is cheaper than min() on every push)
            self.first = due
        self._room -= 1
        if self._room < 0:
            self._compact()

    def _compact(self) -> None:
        """Cancelled entries stay in the heap until popped; drop them when they dominate."""
        heap, live = self._heap, self._live
        if len(heap) > 4 * len(live) + 1024:
            heap = self._heap = [e for e in heap if live.get(e[2]) == e[1]]
            heapq.heapify(heap)
            self.first = heap[0][0] if heap else INF
        # Look again once the heap could have grown past the bound (cancels since may have
        # lowered it: compaction then waits a little). Pops go by (due, token), so when the
        # heap is compacted never changes what fires, or in which order.
        self._room = 4 * len(live) + 1024 - len(heap)

    def cancel(self, kind: TimerKind, subject: int) -> None:
        """Disarm the timer for this subject, if any."""
        self._live.pop(subject << _KIND_BITS | kind, None)

    def is_set(self, kind: TimerKind, subject: int) -> bool:
        """True when the timer is armed."""
        return subject << _KIND_BITS | kind in self._live

    def next_due(self) -> float | None:
        """When the next live timer fires, or None."""
        heap = self._heap
        while heap:
            due, token, key = heap[0]
            if self._live.get(key) == token:
                return due
            heapq.heappop(heap)
            self.first = heap[0][0] if heap else INF
        return None

    def maybe_due(self, now: float) -> bool:
        """False when surely no timer is due by `now` (the cheap check before `pop_due`)."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= now

    def pop_due(self, now: float) -> tuple[float, TimerKind, int] | None:
        """Remove and return the earliest live timer due by `now`, or None."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, token, key = heapq.heappop(heap)
            self.first = heap[0][0] if heap else INF
            if self._live.get(key) == token:
                del self._live[key]
                return due, _KINDS[key & _KIND_MASK], key >> _KIND_BITS
        return None

"""The engine's own timers: a heap of due times with cancellation by token.

The core has no clock; the caller passes `now` with each event and the engine runs every timer
due by then, in due order, each at its own due time.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
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


TimerKey = tuple[TimerKind, Hashable]


class Timers:
    """Timers keyed by (kind, subject); setting a key again replaces the earlier timer."""

    __slots__ = ("_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerKind, Hashable]] = []
        self._live: dict[TimerKey, int] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._live)

    def set(self, kind: TimerKind, subject: Hashable, due: float) -> None:
        """Arm (or re-arm) the timer for this subject."""
        self._seq += 1
        self._live[(kind, subject)] = self._seq
        heapq.heappush(self._heap, (due, self._seq, kind, subject))
        # Cancelled entries stay in the heap until popped; compact when they dominate.
        if len(self._heap) > 4 * len(self._live) + 1024:
            self._heap = [e for e in self._heap if self._live.get((e[2], e[3])) == e[1]]
            heapq.heapify(self._heap)

    def cancel(self, kind: TimerKind, subject: Hashable) -> None:
        """Disarm the timer for this subject, if any."""
        self._live.pop((kind, subject), None)

    def is_set(self, kind: TimerKind, subject: Hashable) -> bool:
        """True when the timer is armed."""
        return (kind, subject) in self._live

    def next_due(self) -> float | None:
        """When the next live timer fires, or None."""
        heap = self._heap
        while heap:
            due, token, kind, subject = heap[0]
            if self._live.get((kind, subject)) == token:
                return due
            heapq.heappop(heap)
        return None

    def maybe_due(self, now: float) -> bool:
        """False when surely no timer is due by `now` (the cheap check before `pop_due`)."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= now

    def pop_due(self, now: float) -> tuple[float, TimerKind, Hashable] | None:
        """Remove and return the earliest live timer due by `now`, or None."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, token, kind, subject = heapq.heappop(heap)
            key = (kind, subject)
            if self._live.get(key) == token:
                del self._live[key]
                return due, kind, subject
        return None

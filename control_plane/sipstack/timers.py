"""Time for the transaction layer, behind an interface so tests can drive it by hand.

Production code uses `AsyncioClock` (loop.call_later); unit tests use `ManualClock` and
move time forward explicitly, so every timer of RFC 3261 §17 is tested without sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Timer(Protocol):
    """A scheduled callback that can be cancelled (asyncio.TimerHandle fits)."""

    def cancel(self) -> None:
        """Stop the callback from running; harmless after it ran."""


class Clock(Protocol):
    """Schedules callbacks; the only notion of time the transaction layer has."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` after `delay` seconds."""


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """RFC 3261 T1, T2, T4 in seconds; the other timers derive from them (Table 4)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def timeout(self) -> float:
        """64*T1: timers B, F, H, J, L, M."""
        return 64 * self.t1

    @property
    def timer_d(self) -> float:
        """Timer D on unreliable transports (at least 32 s)."""
        return max(32.0, 64 * self.t1)


class AsyncioClock:
    """The production clock: asyncio's loop timers."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_running_loop()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Schedule on the event loop."""
        return self._loop.call_later(delay, callback)


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that only moves when told to; for deterministic tests of timers."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[_Entry] = []
        self._seq = itertools.count()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Schedule `callback` at now + delay."""
        entry = _Entry(self.now + max(delay, 0.0), next(self._seq), callback)
        heapq.heappush(self._queue, entry)
        return entry

    def advance(self, seconds: float) -> None:
        """Move time forward, running every callback that falls due, in order."""
        target = self.now + seconds
        while self._queue and self._queue[0].due <= target:
            entry = heapq.heappop(self._queue)
            if entry.cancelled:
                continue
            self.now = entry.due
            entry.callback()
        self.now = target

    @property
    def pending(self) -> int:
        """How many timers are scheduled and not cancelled."""
        return sum(1 for entry in self._queue if not entry.cancelled)

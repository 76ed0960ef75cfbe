"""Drives the pure ACD engine from asyncio: the clock, the timers and the command fan-out.

The engine never reads a clock; this adapter hands it the loop's monotonic time, arms one
loop timer for the engine's next internal deadline (ring timeouts, announcements, wrap-up,
maximum wait) and passes every command and decision record on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from control_plane.acd.commands import Command, DecisionRecord
from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import Event, TimerFired

log = structlog.get_logger(__name__)

CommandSink = Callable[[Command], None]
DecisionSink = Callable[[DecisionRecord], None]


class AcdDriver:
    """One engine, its timers on the running loop, and where its output goes."""

    def __init__(self, engine: Engine, *, on_command: CommandSink,
                 on_decision: DecisionSink | None = None) -> None:
        self.engine = engine
        self._on_command = on_command
        self._on_decision = on_decision
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None
        self._applying = False
        self._pending: list[Event] = []
        # Also told every command (the API's live figures follow the agents through them).
        self.observers: list[CommandSink] = []

    def now(self) -> float:
        """The engine's time: the loop's monotonic clock."""
        return asyncio.get_running_loop().time()

    def apply(self, event: Event) -> Outcome:
        """Apply one event now and carry out what comes out. Events raised while commands
        are being carried out are queued and applied right after, in order."""
        if self._applying:
            self._pending.append(event)
            return Outcome((), (), None, ("queued behind the current event",))
        self._applying = True
        try:
            outcome = self._apply_one(event)
            while self._pending:
                self._apply_one(self._pending.pop(0))
        finally:
            self._applying = False
            self._rearm()
        return outcome

    def _journal(self, event: Event, now: float) -> None:
        """Where a subclass records the event before it is applied (a shared store)."""

    def _apply_one(self, event: Event) -> Outcome:
        now = self.now()
        self._journal(event, now)
        outcome = self.engine.apply(event, now)
        if outcome.rejection is not None:
            log.warning("acd refused event", acd_event=type(event).__name__,
                        code=outcome.rejection.code.value, reason=outcome.rejection.reason)
        for record in outcome.decisions:
            if self._on_decision is not None:
                self._on_decision(record)
        for command in outcome.commands:
            for observer in self.observers:
                try:
                    observer(command)
                except Exception:
                    log.exception("command observer failed", command=type(command).__name__)
            try:
                self._on_command(command)
            except Exception:  # one failing command must not stop the others
                log.exception("acd command failed", command=type(command).__name__)
        return outcome

    def _rearm(self) -> None:
        due = self.engine.state.timers.next_due()
        if due == self._timer_due and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_due = due
        if due is not None:
            delay = max(0.0, due - self.now())
            self._timer = asyncio.get_running_loop().call_later(delay, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._timer_due = None
        self.apply(TimerFired())

    def close(self) -> None:
        """Stop the timer (the engine's state is left as it is)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

"""The ACD engine: events in, commands out, deterministic for a given seed.

`Engine.apply(event, now)` is the whole interface: it first runs every internal timer due by
`now` (ring timeouts, wrap-up, relaxation, maximum wait, announcements, SLA-risk checks), each
at its own due time, then handles the event, and returns an `Outcome`. The engine owns its
state and mutates it in place; nothing here reads a clock, a socket or global randomness.

Decision timing for the routing audit comes from an optional `clock` callable the caller
injects (e.g. `time.perf_counter`); it is read around each decision and never affects one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from control_plane.acd import agent_events, call_events, config_events
from control_plane.acd.commands import (
    Command,
    DecisionRecord,
    DecisionTrigger,
    WaitEstimate,
)
from control_plane.acd.errors import AcdInputError, Rejection, RejectionCode
from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallAbandoned,
    CallArrived,
    CallbackRequested,
    CallEnded,
    Event,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
    QueueUpserted,
    SeatQualityChanged,
    SeatRegistered,
    SeatUnregistered,
    TenantUpserted,
    TimerFired,
    WrapUpEnded,
)
from control_plane.acd.lifecycle import (
    after_work,
    announce,
    evaluate_risk,
    overflow,
    raise_level,
    wait_estimate,
)
from control_plane.acd.model import AgentRef, AgentState, CallRef, CallState, QueueRef
from control_plane.acd.policies import overflow as overflow_policy
from control_plane.acd.routing import Step, arm_call_timer, dispatch_call, position_of
from control_plane.acd.state import AcdState
from control_plane.acd.strategies import STRATEGIES
from control_plane.acd.timers import TimerKind

_HANDLERS: dict[type[Any], Callable[[Step, Any], None]] = {
    TenantUpserted: config_events.on_tenant_upserted,
    QueueUpserted: config_events.on_queue_upserted,
    CallArrived: call_events.on_call_arrived,
    CallAbandoned: call_events.on_call_abandoned,
    CallbackRequested: call_events.on_callback_requested,
    OfferAccepted: call_events.on_offer_accepted,
    OfferRejected: call_events.on_offer_rejected,
    OfferTimedOut: call_events.on_offer_timed_out,
    CallEnded: call_events.on_call_ended,
    AgentLoggedIn: agent_events.on_agent_logged_in,
    AgentLoggedOut: agent_events.on_agent_logged_out,
    AgentReady: agent_events.on_agent_ready,
    AgentPaused: agent_events.on_agent_paused,
    WrapUpEnded: agent_events.on_wrap_up_ended,
    SeatRegistered: agent_events.on_seat_registered,
    SeatUnregistered: agent_events.on_seat_unregistered,
    SeatQualityChanged: agent_events.on_seat_quality_changed,
    TimerFired: lambda step, event: None,
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one `apply` produced: commands to carry out, audit records, or a refusal."""

    commands: tuple[Command, ...]
    decisions: tuple[DecisionRecord, ...]
    rejection: Rejection | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True unless the event was refused."""
        return self.rejection is None


class _OutcomeDraft:
    """`Outcome`'s slots, filled by plain stores, then given its class (see commands.py)."""

    __slots__ = Outcome.__slots__
    commands: tuple[Command, ...]
    decisions: tuple[DecisionRecord, ...]
    rejection: Rejection | None
    notes: tuple[str, ...]


_EMPTY: tuple[str, ...] = ()


class Engine:
    """The deterministic ACD: one instance owns one `AcdState`."""

    def __init__(
        self, rng: random.Random | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.state = AcdState()
        self._rng = rng if rng is not None else random.Random(0)
        self._clock = clock

    @staticmethod
    def strategies() -> tuple[str, ...]:
        """Names of the available strategies."""
        return tuple(STRATEGIES)

    def apply(self, event: Event, now: float) -> Outcome:
        """Run timers due by `now`, then handle `event`; a refusal changes nothing else."""
        st = self.state
        if now < st.now:
            reason = f"now={now} is before the last event at {st.now}"
            return Outcome((), (), Rejection(RejectionCode.CLOCK_WENT_BACK, reason))
        step = Step(st, now, self._rng, self._clock)
        if now >= st.timers.first:  # `maybe_due`, without the call
            self._run_timers(step, now)
        st.now = now
        handler = _HANDLERS.get(type(event))
        rejection = None
        if handler is None:
            rejection = Rejection(RejectionCode.INVALID, f"not an event: {type(event).__name__}")
        else:
            try:
                handler(step, event)
            except AcdInputError as exc:
                rejection = Rejection(exc.code, exc.reason)
        # `Outcome(...)` without the frozen dataclass `__init__` (one per event).
        out = _OutcomeDraft()
        out.commands = tuple(step.commands)
        out.decisions = tuple(step.decisions)
        out.rejection = rejection
        notes = step.notes
        out.notes = tuple(notes) if notes else _EMPTY
        out.__class__ = Outcome  # type: ignore[assignment]
        return out  # type: ignore[return-value]

    def next_timer_at(self) -> float | None:
        """When the engine next needs a `TimerFired` (or any event) to run its timers."""
        return self.state.timers.next_due()

    def _run_timers(self, step: Step, now: float) -> None:
        st = self.state
        while (due := st.timers.pop_due(now)) is not None:
            step.now = max(due[0], st.now)
            self._fire(step, due[1], due[2])
        step.now = now

    def _fire(self, step: Step, kind: TimerKind, subject: int) -> None:
        st = self.state
        if kind is TimerKind.RING:  # keyed by the agent, which holds exactly this offer
            agent = st.agents_by_idx[subject]
            assert agent.offer is not None
            call_events.fail_offer(step, st.calls_by_seq[agent.offer], agent, no_answer=True,
                                   notify=True)
        elif kind is TimerKind.WRAP_UP:
            after_work(step, st.agents_by_idx[subject])
        elif kind is TimerKind.SLA_RISK:
            evaluate_risk(step, st.queue_list[subject])
        else:
            call = st.calls_by_seq[subject]
            queue = call.queue
            if kind is TimerKind.RELAX:
                raise_level(step, call)
            elif kind is TimerKind.ANNOUNCE and call.state is CallState.QUEUED:
                announce(step, call)
                arm_call_timer(step, kind, call, step.now + (queue.config.announce_period_s or 0.0))
            elif kind is TimerKind.MAX_WAIT:
                if call.state is CallState.QUEUED:
                    overflow(step, call, overflow_policy.on_max_wait(queue.config.overflow),
                             "max_wait")
                else:  # ringing: decide once the offer resolved
                    arm_call_timer(step, kind, call, step.now + queue.config.ring_timeout_s)
            elif kind is TimerKind.PROGRESS and call.state is CallState.OFFERED:
                if not dispatch_call(step, call, DecisionTrigger.PROGRESSED):
                    arm_call_timer(step, kind, call, step.now + queue.config.progressive_step_s)
            elif kind is TimerKind.ANNOUNCE:
                arm_call_timer(step, kind, call, step.now + (queue.config.announce_period_s or 0.0))

    # Read-only views for adapters, the simulator and tests.

    def call_state(self, ref: CallRef) -> CallState | None:
        """The call's state, or None when it is not live."""
        call = self.state.calls.get(ref)
        return None if call is None else call.state

    def agent_state(self, ref: AgentRef) -> AgentState:
        """The agent's state (LOGGED_OUT when unknown)."""
        agent = self.state.agents.get(ref)
        return AgentState.LOGGED_OUT if agent is None else agent.state

    def position(self, ref: CallRef) -> int | None:
        """1-based position of a queued call, or None."""
        call = self.state.calls.get(ref)
        if call is None or call.state is not CallState.QUEUED:
            return None
        return position_of(call)

    def estimate(self, ref: CallRef) -> WaitEstimate | None:
        """Estimated wait of a queued call, or None."""
        call = self.state.calls.get(ref)
        if call is None or call.state is not CallState.QUEUED:
            return None
        return wait_estimate(call, self.state.now)

    def waiting(self, queue: QueueRef) -> int:
        """How many calls wait in the queue (0 if unknown)."""
        state = self.state.queues.get(queue)
        return 0 if state is None else state.waiting_count

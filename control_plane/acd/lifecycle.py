"""What happens to calls between decisions: timers, re-queueing, overflow, leaving, risk."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from control_plane.acd.commands import (
    AnnouncePosition,
    DecisionRecord,
    DecisionTrigger,
    HangUpCall,
    MoveToQueue,
    RejectCall,
    RequeueCall,
    ScheduleCallback,
    SendToVoicemail,
    call_finished,
)
from control_plane.acd.estimators.wait import estimate_wait, miss_probability
from control_plane.acd.model import (
    AgentState,
    CallOutcome,
    CallState,
    OverflowAction,
    OverflowKind,
    QueueRef,
)
from control_plane.acd.policies import overflow as overflow_policy
from control_plane.acd.policies.relaxation import next_risk_level
from control_plane.acd.routing import (
    Step,
    arm_call_timer,
    cancel_call_timers,
    dequeue,
    dispatch_call,
    enqueue,
    make_available,
    position_of,
    withdraw_offer,
)
from control_plane.acd.timers import TimerKind

if TYPE_CHECKING:
    from control_plane.acd.commands import WaitEstimate
    from control_plane.acd.state import LiveAgent, LiveCall, QueueState

# Enum members read on every event, as module constants: on Python 3.11 each `Enum.MEMBER`
# read goes through EnumType.__getattr__ (about 70 ns, several per event).
_QUEUED = CallState.QUEUED
_ENDED = CallState.ENDED
_ANSWERED = CallOutcome.ANSWERED
_WRAP_UP = AgentState.WRAP_UP
_READY = AgentState.READY


def arm_call_timers(step: Step, call: LiveCall) -> None:
    """Arm relaxation, maximum wait and announcements for a call entering its queue."""
    timers = step.st.timers
    config = call.queue.config
    if call.level < len(config.relaxation):
        due = call.entered_at + config.relaxation[call.level].after_s
        arm_call_timer(step, TimerKind.RELAX, call, due)
    if not call.callback:
        if config.overflow.max_wait_s is not None:
            due = call.entered_at + config.overflow.max_wait_s
            arm_call_timer(step, TimerKind.MAX_WAIT, call, due)
        if config.announce_period_s:
            arm_call_timer(step, TimerKind.ANNOUNCE, call, step.now + config.announce_period_s)
    queue = call.queue
    if config.sla_risk is not None and not timers.is_set(TimerKind.SLA_RISK, queue.qidx):
        timers.set(TimerKind.SLA_RISK, queue.qidx, step.now + config.sla_risk.eval_period_s)


def wait_estimate(call: LiveCall, now: float) -> WaitEstimate:
    """Estimated wait of a queued call from its position, staffing and handle time."""
    queue = call.queue
    return estimate_wait(position_of(call), queue.staffed_share, queue.handle.value)


def announce(step: Step, call: LiveCall) -> None:
    """Tell the caller its position and estimated wait."""
    step.commands.append(
        AnnouncePosition(call.ref, call.queue.ref, position_of(call), wait_estimate(call, step.now))
    )


def finish(step: Step, call: LiveCall, outcome: CallOutcome) -> None:
    """The call leaves the ACD: out of its queue, offers withdrawn, timers off, ledger entry."""
    st = step.st
    if call.state is _QUEUED:
        dequeue(call)
    if call.timed:
        cancel_call_timers(step, call)
    freed = []
    if call.offered:
        for idx in call.offered:  # a tuple: withdrawing replaces it, this one stays whole
            agent = st.agents_by_idx[idx]
            withdraw_offer(step, call, agent, notify=True)
            freed.append(agent)
    call.state = _ENDED
    del st.calls[call.ref]
    del st.calls_by_seq[call.seq]
    until = call.connected_at if outcome is _ANSWERED else step.now
    step.commands.append(call_finished(call.ref, call.queue.ref, outcome, until - call.arrived_at))
    for agent in freed:
        make_available(step, agent)


def requeue(step: Step, call: LiveCall) -> None:
    """Every offer failed: back to the original position, then overflow or re-dispatch."""
    enqueue(call)
    step.commands.append(RequeueCall(call.ref, call.queue.ref, position_of(call)))
    action = overflow_policy.on_max_offers(call.queue.config.overflow, call.offers)
    if action is not None:
        overflow(step, call, action, "max_offers")
        return
    dispatch_call(step, call, DecisionTrigger.CALL_REQUEUED)


def _audit_overflow(step: Step, call: LiveCall, action: OverflowAction, reason: str) -> None:
    st = step.st
    st.next_decision_id += 1
    step.decisions.append(
        DecisionRecord(
            st.next_decision_id, step.now, DecisionTrigger.OVERFLOW, call.queue.ref, call.ref,
            (), f"overflow:{reason}->{action.kind.value}", (), 0, None,
        )
    )


def overflow(step: Step, call: LiveCall, action: OverflowAction, reason: str) -> None:
    """Carry out an overflow action on a queued call."""
    _audit_overflow(step, call, action, reason)
    kind = action.kind
    if kind is OverflowKind.QUEUE:
        target = step.st.queues.get(QueueRef(call.ref.tenant, action.target_queue or ""))
        if target is None or target is call.queue:
            step.notes.append(f"overflow target {action.target_queue!r} missing; hanging up")
            kind = OverflowKind.HANG_UP
        else:
            move_to_queue(step, call, target, reason)
            return
    if kind is OverflowKind.CALLBACK:
        if not call.callback:
            convert_to_callback(step, call)
        return
    if kind is OverflowKind.VOICEMAIL:
        step.commands.append(SendToVoicemail(call.ref, call.queue.ref, reason))
        finish(step, call, CallOutcome.OVERFLOWED)
    elif kind is OverflowKind.REJECT:
        step.commands.append(RejectCall(call.ref, action.sip_code, reason))
        finish(step, call, CallOutcome.REJECTED)
    else:
        step.commands.append(HangUpCall(call.ref, reason))
        finish(step, call, CallOutcome.TIMED_OUT)


def move_to_queue(step: Step, call: LiveCall, target: QueueState, reason: str) -> None:
    """Overflow into another queue; the call keeps its arrival order and priority there."""
    source = call.queue
    dequeue(call)
    cancel_call_timers(step, call)
    call.queue = target
    call.level = 0
    call.entered_at = step.now
    call.deadline = call.arrived_at + target.config.service_level.threshold_s
    call.rank = (-call.priority_class, call.deadline, call.seq)
    call.declined = frozenset()
    call.has_declined = False
    enqueue(call)
    arm_call_timers(step, call)
    step.commands.append(MoveToQueue(call.ref, source.ref, target.ref, reason))
    dispatch_call(step, call, DecisionTrigger.OVERFLOW)


def convert_to_callback(step: Step, call: LiveCall) -> None:
    """Release the caller but keep the call's place; an agent calls back at its turn."""
    call.callback = True
    timers = step.st.timers
    timers.cancel(TimerKind.MAX_WAIT, call.seq)
    timers.cancel(TimerKind.ANNOUNCE, call.seq)
    step.commands.append(ScheduleCallback(call.ref, call.queue.ref, call.caller, position_of(call)))


def raise_level(step: Step, call: LiveCall) -> None:
    """The call's next time-based relaxation step is due."""
    queue = call.queue
    if call.level >= queue.max_level:
        return
    if call.state is CallState.QUEUED:
        dequeue(call)
        call.level += 1
        enqueue(call)
    else:
        call.level += 1
    if call.level < len(queue.config.relaxation):
        due = call.entered_at + queue.config.relaxation[call.level].after_s
        arm_call_timer(step, TimerKind.RELAX, call, due)
    if call.state is CallState.QUEUED:
        dispatch_call(step, call, DecisionTrigger.RELAXED)


def waiting_calls(queue: QueueState, step: Step) -> list[LiveCall]:
    """The queue's waiting calls in queue order (a snapshot)."""
    calls = step.st.calls_by_seq
    return [calls[key[2]] for key in heapq.merge(*queue.waiting)]


def evaluate_risk(step: Step, queue: QueueState) -> None:
    """Update the queue's SLA-risk level; on relaxing, offer its calls to the wider pool."""
    policy = queue.config.sla_risk
    if policy is None:
        return
    now = step.now
    queue.risk_checked_at = now
    queue.risk = miss_probability(
        queue.arrivals.rate(now),
        queue.handle.value,
        queue.staffed_share,
        queue.config.service_level.threshold_s,
        queue.waiting_count,
    )
    before = queue.risk_level
    queue.risk_level = next_risk_level(policy, before, queue.risk, queue.max_level)
    if queue.risk_level > before:
        step.notes.append(f"{queue.ref.queue}: sla risk {queue.risk:.2f}, relaxed")
        for call in waiting_calls(queue, step):
            if call.state is CallState.QUEUED:
                dispatch_call(step, call, DecisionTrigger.RELAXED)
    if queue.waiting_count or queue.risk_level:
        step.st.timers.set(TimerKind.SLA_RISK, queue.qidx, now + policy.eval_period_s)


def after_work(step: Step, agent: LiveAgent) -> None:
    """Wrap-up is over: pause if a pause was requested during the call, else ready."""
    if agent.state is _WRAP_UP:  # only a wrapping-up agent has the timer armed
        step.st.timers.cancel(TimerKind.WRAP_UP, agent.idx)
    if agent.pending_pause is not None:
        set_paused(agent, agent.pending_pause)
        agent.pending_pause = None
        return
    agent.state = _READY
    agent.idle_since = step.now
    make_available(step, agent)


def set_paused(agent: LiveAgent, reason: str) -> None:
    """Pause an agent that is not yet counted as paused (staffing follows)."""
    if agent.state is not AgentState.PAUSED:
        staff(agent, -1, staffed_only=True)
    agent.state = AgentState.PAUSED
    agent.pause_reason = reason


def staff(agent: LiveAgent, delta: int, staffed_only: bool = False) -> None:
    """Add (+1) or remove (-1) the agent from its queues' staffing figures."""
    share = delta / len(agent.eligible) if agent.eligible else 0.0
    paused = agent.state is AgentState.PAUSED
    for queue, _level in agent.eligible:
        if not staffed_only:
            queue.logged_in += delta
        if staffed_only or not paused:
            queue.staffed += delta
            queue.staffed_share = max(queue.staffed_share + share, 0.0)

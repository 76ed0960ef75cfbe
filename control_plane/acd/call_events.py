"""Handlers for call events. Each validates fully before its first mutation."""

from __future__ import annotations

from control_plane.acd.commands import (
    CancelOffer,
    DecisionTrigger,
    DialCallback,
    PauseAgent,
    connect_call,
)
from control_plane.acd.errors import AcdInputError, RejectionCode
from control_plane.acd.events import (
    CallAbandoned,
    CallArrived,
    CallbackRequested,
    CallEnded,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
)
from control_plane.acd.lifecycle import (
    after_work,
    announce,
    arm_call_timers,
    convert_to_callback,
    evaluate_risk,
    finish,
    overflow,
    requeue,
    set_paused,
)
from control_plane.acd.model import (
    NO_ANSWER_REASON,
    AgentRef,
    AgentState,
    CallOutcome,
    CallRef,
    CallState,
    QueueRef,
)
from control_plane.acd.policies import overflow as overflow_policy
from control_plane.acd.policies.priority import classify
from control_plane.acd.routing import (
    Step,
    cancel_call_timers,
    dispatch_call,
    enqueue,
    make_available,
    withdraw_offer,
    without,
)
from control_plane.acd.state import LiveAgent, LiveCall
from control_plane.acd.timers import TimerKind

# Enum members read on every event, as module constants: on Python 3.11 each `Enum.MEMBER`
# read goes through EnumType.__getattr__ (about 70 ns, several per event).
_QUEUED = CallState.QUEUED
_OFFERED = CallState.OFFERED
_CONNECTED = CallState.CONNECTED
_ANSWERED = CallOutcome.ANSWERED
_ON_CALL = AgentState.ON_CALL
_CALL_ARRIVED = DecisionTrigger.CALL_ARRIVED


def find_call(step: Step, ref: CallRef) -> LiveCall:
    """The live call, or a typed refusal."""
    call = step.st.calls.get(ref)
    if call is None:
        raise AcdInputError(RejectionCode.UNKNOWN_CALL, f"no live call {ref.tenant}/{ref.call}")
    return call


def find_agent(step: Step, ref: AgentRef) -> LiveAgent:
    """The logged-in agent, or a typed refusal."""
    agent = step.st.agents.get(ref)
    if agent is None:
        raise AcdInputError(
            RejectionCode.UNKNOWN_AGENT, f"agent {ref.tenant}/{ref.agent} is not logged in"
        )
    return agent


def _offered_pair(step: Step, call_ref: CallRef, agent_ref: AgentRef) -> tuple[LiveCall, LiveAgent]:
    call = find_call(step, call_ref)
    agent = find_agent(step, agent_ref)
    if call.state is not _OFFERED or agent.idx not in call.offered:
        raise AcdInputError(
            RejectionCode.OUT_OF_ORDER,
            f"call {call_ref.call} is {call.state.value}, not ringing agent {agent_ref.agent}",
        )
    return call, agent


def on_call_arrived(step: Step, event: CallArrived) -> None:
    """Classify, enqueue, then overflow or offer."""
    st = step.st
    tenant = st.tenants.get(event.call.tenant)
    if tenant is None:
        raise AcdInputError(RejectionCode.UNKNOWN_TENANT, f"no tenant {event.call.tenant}")
    queue = st.queues.get(QueueRef(event.call.tenant, event.queue))
    if queue is None:
        raise AcdInputError(RejectionCode.UNKNOWN_QUEUE, f"no queue {event.queue}")
    if event.call in st.calls:
        raise AcdInputError(RejectionCode.DUPLICATE_CALL, f"call {event.call.call} is live")
    now = step.now
    queue.arrivals.observe(now)
    klass = classify(tenant.config.priority, event.caller, event.attributes, event.priority_class)
    seq = st.next_call_seq
    st.next_call_seq += 1
    deadline = now + queue.config.service_level.threshold_s
    call = LiveCall(
        ref=event.call, seq=seq, queue=queue, caller=event.caller, priority_class=klass,
        priority=event.priority, arrived_at=now, entered_at=now, deadline=deadline,
        key=(-int(klass), -event.priority, seq), rank=(-klass, deadline, seq), has_declined=False,
    )
    st.calls[event.call] = call
    st.calls_by_seq[seq] = call
    rule = overflow_policy.on_arrival(queue.config.overflow, queue.logged_in, queue.waiting_count)
    enqueue(call)
    arm_call_timers(step, call)
    if rule is not None:
        overflow(step, call, rule[0], rule[1])
        return
    if dispatch_call(step, call, _CALL_ARRIVED):
        return
    # Risk is judged after the decision, on the backlog this call actually joins.
    policy = queue.config.sla_risk
    if policy is not None and now - queue.risk_checked_at >= policy.eval_period_s:
        evaluate_risk(step, queue)
    if call.state is _QUEUED and queue.config.announce_period_s:
        announce(step, call)


def on_call_abandoned(step: Step, event: CallAbandoned) -> None:
    """The caller left while waiting or ringing."""
    call = find_call(step, event.call)
    if call.state is CallState.CONNECTED:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, "a connected call ends, not abandons")
    finish(step, call, CallOutcome.ABANDONED)


def on_callback_requested(step: Step, event: CallbackRequested) -> None:
    """The caller opts for a callback and keeps its place."""
    call = find_call(step, event.call)
    if call.state is not CallState.QUEUED:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, f"call is {call.state.value}")
    if call.callback:
        step.notes.append("callback already scheduled")
        return
    convert_to_callback(step, call)


def on_offer_accepted(step: Step, event: OfferAccepted) -> None:
    """Connect; agents still ringing for this call are released."""
    call, agent = _offered_pair(step, event.call, event.agent)
    st = step.st
    others = [st.agents_by_idx[i] for i in call.offered if i != agent.idx]
    for other in others:
        withdraw_offer(step, call, other, notify=False)
        step.commands.append(CancelOffer(call.ref, other.ref))
    withdraw_offer(step, call, agent, notify=False)
    cancel_call_timers(step, call)
    call.state = _CONNECTED
    call.agent = agent.idx
    call.taker = agent
    call.connected_at = step.now
    agent.state = _ON_CALL
    agent.active += (call.seq,)
    step.commands.append(connect_call(call.ref, agent.ref))
    if call.callback:
        step.commands.append(DialCallback(call.ref, agent.ref, call.caller))
    for other in others:
        make_available(step, other)
    if agent.available:
        agent.idle_since = step.now
        make_available(step, agent)


def fail_offer(step: Step, call: LiveCall, agent: LiveAgent, no_answer: bool, notify: bool) -> None:
    """An offer failed: maybe pause the agent; re-queue the call once nobody rings for it."""
    withdraw_offer(step, call, agent, notify=notify)
    call.declined |= {agent.idx}
    call.has_declined = True
    paused = no_answer and call.queue.config.pause_on_no_answer and not agent.active
    if paused:
        set_paused(agent, NO_ANSWER_REASON)
        step.commands.append(PauseAgent(agent.ref, NO_ANSWER_REASON))
    if not call.offered:
        requeue(step, call)
    if not paused:
        make_available(step, agent)


def on_offer_rejected(step: Step, event: OfferRejected) -> None:
    """The agent declined."""
    call, agent = _offered_pair(step, event.call, event.agent)
    fail_offer(step, call, agent, no_answer=False, notify=False)


def on_offer_timed_out(step: Step, event: OfferTimedOut) -> None:
    """The agent did not answer (reported by the call controller)."""
    call, agent = _offered_pair(step, event.call, event.agent)
    fail_offer(step, call, agent, no_answer=True, notify=False)


def on_call_ended(step: Step, event: CallEnded) -> None:
    """A conversation ended: statistics, then wrap-up or the agent's next call."""
    st = step.st
    call = st.calls.get(event.call)  # `find_call`, inlined on the busiest path
    if call is None:
        call = find_call(step, event.call)
    agent = call.taker
    if call.state is not _CONNECTED or agent is None:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, f"call is {call.state.value}")
    queue = call.queue
    talk = step.now - call.connected_at
    agent.active = without(agent.active, call.seq)
    agent.talk_time += talk
    agent.calls_handled += 1
    queue.handle.observe(talk + queue.config.wrap_up_s)
    finish(step, call, _ANSWERED)
    if agent.active:
        make_available(step, agent)
    elif queue.config.wrap_up_s > 0:
        agent.state = AgentState.WRAP_UP
        st.timers.set(TimerKind.WRAP_UP, agent.idx, step.now + queue.config.wrap_up_s)
    else:
        after_work(step, agent)

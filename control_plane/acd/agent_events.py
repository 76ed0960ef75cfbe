"""Handlers for agent and seat events. Each validates fully before its first mutation."""

from __future__ import annotations

from array import array

from control_plane.acd.call_events import fail_offer, find_agent
from control_plane.acd.errors import AcdInputError, RejectionCode
from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    SeatQualityChanged,
    SeatRegistered,
    SeatUnregistered,
    WrapUpEnded,
)
from control_plane.acd.indexes import MAX_PROFICIENCY
from control_plane.acd.lifecycle import after_work, overflow, set_paused, staff, waiting_calls
from control_plane.acd.model import AgentState, CallState, QueueRef
from control_plane.acd.policies.relaxation import eligible_level
from control_plane.acd.policies.seat_health import is_degraded
from control_plane.acd.routing import Step, make_available
from control_plane.acd.state import AcdState, LiveAgent
from control_plane.acd.timers import TimerKind


def compute_eligibility(st: AcdState, agent: LiveAgent) -> None:
    """The queues the agent can serve, each with the strictest level it qualifies at.

    Only queues requiring one of the agent's skills are examined (skill → queues index);
    sorted by queue key so iteration order never depends on string hashing.
    """
    refs: set[QueueRef] = set()
    for skill_id in agent.skills:
        refs.update(st.skill_queues.get(skill_id, ()))
    eligible = []
    for ref in sorted(refs):
        queue = st.queues[ref]
        level = eligible_level(agent.skills, queue.reqs)
        if level is not None:
            eligible.append((queue, level))
    agent.eligible = eligible
    agent.strict_ids = array("l", [queue.qidx for queue, level in eligible if not level])
    agent.relaxed = [(queue, level) for queue, level in eligible if level]


def on_agent_logged_in(step: Step, event: AgentLoggedIn) -> None:
    """Create the agent, work out its queues, then ready (offer/index) or paused."""
    st = step.st
    tenant = st.tenants.get(event.agent.tenant)
    if tenant is None:
        raise AcdInputError(RejectionCode.UNKNOWN_TENANT, f"no tenant {event.agent.tenant}")
    if event.agent in st.agents:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, "agent is already logged in")
    profile = event.profile
    for skill, proficiency in profile.skills.items():
        if skill not in tenant.skill_ids:
            raise AcdInputError(RejectionCode.UNKNOWN_SKILL, f"no skill {skill}")
        if not 1 <= proficiency <= MAX_PROFICIENCY:
            raise AcdInputError(RejectionCode.INVALID, f"proficiency {proficiency} not in 1..5")
    if profile.max_concurrent < 1:
        raise AcdInputError(RejectionCode.INVALID, "max_concurrent must be at least 1")
    reason = event.pause_reason
    if reason is not None and reason not in tenant.config.pause_reasons:
        raise AcdInputError(RejectionCode.UNKNOWN_PAUSE_REASON, f"no pause reason {reason}")
    idx = st.next_agent_idx
    st.next_agent_idx += 1
    agent = LiveAgent(
        ref=event.agent, idx=idx,
        skills={tenant.skill_ids[s]: p for s, p in sorted(profile.skills.items())},
        order=profile.order, weight=profile.weight, max_concurrent=profile.max_concurrent,
        state=AgentState.READY if reason is None else AgentState.PAUSED, pause_reason=reason,
        idle_since=step.now, seat_registered=event.seat_registered,
    )
    st.agents[event.agent] = agent
    st.agents_by_idx[idx] = agent
    for skill_id in agent.skills:
        st.skill_agents.setdefault(skill_id, set()).add(idx)
    compute_eligibility(st, agent)
    staff(agent, +1)
    make_available(step, agent)


def on_agent_logged_out(step: Step, event: AgentLoggedOut) -> None:
    """Remove the agent; a pending offer fails over; queues left empty may overflow."""
    st = step.st
    agent = find_agent(step, event.agent)
    if agent.active:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, "agent is on a call; end it first")
    staff(agent, -1)
    # Logged out before the offer fails over, so the re-dispatch cannot pick this agent.
    agent.state = AgentState.LOGGED_OUT
    st.idle.remove(agent)
    st.timers.cancel(TimerKind.WRAP_UP, agent.idx)
    if agent.offer is not None:
        fail_offer(step, st.calls_by_seq[agent.offer], agent, no_answer=False, notify=True)
    for skill_id in agent.skills:
        st.skill_agents[skill_id].discard(agent.idx)
    del st.agents[agent.ref]
    del st.agents_by_idx[agent.idx]
    for queue, _level in agent.eligible:
        action = queue.config.overflow.on_no_agents
        if queue.logged_in == 0 and action is not None:
            for call in waiting_calls(queue, step):
                if call.state is CallState.QUEUED and not call.callback:
                    overflow(step, call, action, "no_agents")


def on_agent_ready(step: Step, event: AgentReady) -> None:
    """Back to work from a pause or wrap-up."""
    agent = find_agent(step, event.agent)
    state = agent.state
    if state is AgentState.PAUSED:
        staff(agent, +1, staffed_only=True)
    elif state is AgentState.WRAP_UP:
        step.st.timers.cancel(TimerKind.WRAP_UP, agent.idx)
    else:
        agent.pending_pause = None
        step.notes.append(f"agent is {state.value}; nothing to do")
        return
    agent.state = AgentState.READY
    agent.pause_reason = None
    agent.idle_since = step.now
    make_available(step, agent)


def on_agent_paused(step: Step, event: AgentPaused) -> None:
    """Pause now, or after the current call when the agent is talking."""
    agent = find_agent(step, event.agent)
    tenant = step.st.tenants[agent.ref.tenant]
    if event.reason not in tenant.config.pause_reasons:
        raise AcdInputError(RejectionCode.UNKNOWN_PAUSE_REASON, f"no pause reason {event.reason}")
    if agent.offer is not None:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, "agent is ringing; answer or reject")
    if agent.state is AgentState.ON_CALL:
        agent.pending_pause = event.reason
        step.notes.append("pause takes effect after the call")
        return
    step.st.timers.cancel(TimerKind.WRAP_UP, agent.idx)
    step.st.idle.remove(agent)
    set_paused(agent, event.reason)


def on_wrap_up_ended(step: Step, event: WrapUpEnded) -> None:
    """After-call work finished early."""
    agent = find_agent(step, event.agent)
    if agent.state is not AgentState.WRAP_UP:
        raise AcdInputError(RejectionCode.OUT_OF_ORDER, f"agent is {agent.state.value}")
    after_work(step, agent)


def on_seat_registered(step: Step, event: SeatRegistered) -> None:
    """The seat can ring again."""
    agent = find_agent(step, event.agent)
    agent.seat_registered = True
    make_available(step, agent)


def on_seat_unregistered(step: Step, event: SeatUnregistered) -> None:
    """The seat cannot ring: out of the index; a ringing offer fails over at once."""
    agent = find_agent(step, event.agent)
    agent.seat_registered = False
    step.st.idle.remove(agent)
    if agent.offer is not None:
        fail_offer(step, step.st.calls_by_seq[agent.offer], agent, no_answer=False, notify=True)


def on_seat_quality_changed(step: Step, event: SeatQualityChanged) -> None:
    """Re-rank the seat by its network quality (excluded or ranked down per queue)."""
    agent = find_agent(step, event.agent)
    policy = step.st.tenants[agent.ref.tenant].config.seat_quality
    degraded = is_degraded(policy, event.mos, event.jitter_ms, event.loss_pct)
    if degraded == agent.seat_degraded:
        return
    agent.seat_degraded = degraded
    if agent.idle_keys is not None:
        # Re-index under the other health tier; a now-healthy seat may take a waiting call.
        step.st.idle.remove(agent)
        make_available(step, agent)

"""Whole-state invariants of the ACD, checked by the state-machine test after every step."""

from __future__ import annotations

from bisect import bisect_left

from control_plane.acd import Engine
from control_plane.acd.model import AgentState, CallState, SeatPolicy
from control_plane.acd.routing import effective_level
from control_plane.acd.state import LiveAgent, LiveCall


def eligible(agent: LiveAgent, call: LiveCall) -> bool:
    """Could this agent take this call now (skills at the call's level, seat policy, declines)?"""
    queue = call.queue
    reqs = queue.reqs[effective_level(call)]
    if any(agent.skills.get(sid, 0) < minimum for sid, minimum in reqs):
        return False
    if agent.seat_degraded and queue.config.seat_policy is SeatPolicy.EXCLUDE:
        return False
    return agent.idx not in call.declined


def check(engine: Engine) -> None:
    """Raise AssertionError on the first broken invariant."""
    st = engine.state
    for ref, call in st.calls.items():
        assert call.ref == ref and st.calls_by_seq[call.seq] is call
        queued = [
            level for level, lst in enumerate(call.queue.waiting)
            if (i := bisect_left(lst, call.key)) < len(lst) and lst[i] == call.key
        ]
        in_states = [
            call.state is CallState.QUEUED and queued == [call.level],
            call.state is CallState.OFFERED and bool(call.offered) and not queued,
            call.state is CallState.CONNECTED and call.agent is not None and not queued,
        ]
        assert sum(in_states) == 1, f"call {ref} in state {call.state} inconsistent"
        for idx in call.offered:
            assert st.agents_by_idx[idx].offer == call.seq, "offer not held by its agent"
        if call.state is CallState.CONNECTED:
            assert call.agent is not None
            assert call.seq in st.agents_by_idx[call.agent].active
    for queue in st.queues.values():
        assert queue.waiting_count == sum(len(lst) for lst in queue.waiting)
        for lst in queue.waiting:
            assert lst == sorted(lst)
            for key in lst:
                call = st.calls_by_seq[key[2]]
                assert call.queue is queue and call.state is CallState.QUEUED
        members = [a for a in st.agents.values() if any(q is queue for q, _ in a.eligible)]
        assert queue.logged_in == len(members), "logged-in count drifted"
        assert queue.staffed == sum(a.state is not AgentState.PAUSED for a in members)
    holders: dict[int, int] = {}
    for agent in st.agents.values():
        assert st.agents_by_idx[agent.idx] is agent
        if agent.offer is not None:
            holders[agent.offer] = holders.get(agent.offer, 0) + 1
            call = st.calls_by_seq[agent.offer]
            assert call.state is CallState.OFFERED and agent.idx in call.offered
        assert (agent.idle_keys is not None) == agent.available, f"index drift {agent.ref}"
        if agent.state is AgentState.OFFERED:
            assert agent.offer is not None
    # After every decision: no queued call while an available agent could take it.
    idle = [a for a in st.agents.values() if a.idle_keys is not None]
    for call in st.calls.values():
        if call.state is CallState.QUEUED:
            for agent in idle:
                assert not eligible(agent, call), f"{call.ref} waits while {agent.ref} is free"

"""A comparable snapshot of everything routing depends on, to prove refusals change nothing."""

from __future__ import annotations

from control_plane.acd import Engine


def fingerprint(engine: Engine) -> tuple[object, ...]:
    """The routing-relevant state as plain, comparable values."""
    st = engine.state
    calls = sorted(
        (c.ref, c.state, c.level, tuple(c.offered), tuple(sorted(c.declined)), c.key,
         c.queue.ref, c.callback, c.offers, c.agent)
        for c in st.calls.values()
    )
    agents = sorted(
        (a.ref, a.state, a.offer, tuple(a.active), a.idle_keys, a.seat_registered,
         a.seat_degraded, a.pause_reason, a.pending_pause, a.calls_handled)
        for a in st.agents.values()
    )
    queues = sorted(
        (q.ref, tuple(tuple(lst) for lst in q.waiting), q.waiting_count, q.logged_in,
         q.staffed, q.risk_level)
        for q in st.queues.values()
    )
    return (tuple(calls), tuple(agents), tuple(queues), st.idle.size(), len(st.timers),
            st.next_call_seq, st.next_agent_idx, st.next_decision_id)

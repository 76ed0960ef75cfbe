"""The head keys behind cross-queue arbitration agree with reading every queue head; the
other shortcuts on the hot path (a connected call's agent) agree with the maps."""

from __future__ import annotations

from collections import Counter

import pytest

from control_plane.acd import Engine, heads
from control_plane.acd.commands import Candidate
from control_plane.acd.events import AgentPaused, AgentReady, CallArrived
from control_plane.acd.model import CallRef, PriorityClass, RelaxStep, ServiceLevel
from tests.unit.acd.churn import run_churn
from tests.unit.acd.helpers import World


def check_index(engine: Engine) -> None:
    """Every queue's slot holds its first call's key; agents list their strict queues."""
    st = engine.state
    assert len(st.queue_list) == len(st.head_keys) == len(st.queues)
    for queue in st.queues.values():
        assert st.queue_list[queue.qidx] is queue and queue.head_keys is st.head_keys
        want = heads.INF if queue.top is None else heads.head_key(queue.top)
        assert st.head_keys[queue.qidx] == want
    for agent in st.agents.values():
        assert tuple(agent.strict_ids) == tuple(q.qidx for q, level in agent.eligible if not level)
    for call in st.calls.values():
        want_taker = None if call.agent is None else st.agents_by_idx[call.agent]
        assert call.taker is want_taker


def same(fast: heads.Arbitration, full: heads.Arbitration) -> None:
    assert fast.best is full.best
    assert fast.candidates == full.candidates
    assert [type(c) for c in fast.candidates] == [Candidate] * len(full.candidates)
    assert (fast.considered, fast.rule) == (full.considered, full.rule)


@pytest.mark.parametrize("tick", [0.0, 4.0])
def test_fast_arbitration_is_the_full_walks_answer(tick: float) -> None:
    # For every ready-or-not agent after every event: the key-ranked answer (winner, audit
    # candidates with scores, count, rule) is exactly the one from sorting every head. With
    # `tick`, calls arrive at equal instants, so equal keys (ties) are common.
    paths: Counter[str] = Counter()

    def check(engine: Engine) -> None:
        check_index(engine)
        st = engine.state
        for agent in st.agents.values():
            if agent.seat_degraded:
                continue
            fast = heads.arbitrate_fast(st, agent, st.now)
            full = heads.arbitrate_full(st, agent, st.now)
            if fast is None:
                paths["full walk"] += 1
            elif fast is False:
                paths["nothing"] += 1
                assert full is None
            else:
                assert full is not None
                same(fast, full)
                keys = [st.head_keys[q] for q in agent.strict_ids if st.head_keys[q] < heads.INF]
                paths["tie"] += len(set(keys)) < len(keys)
                paths["relaxed"] += bool(heads._relaxed_heads(st, agent))
                paths["vip" if full.rule == "arbitration:priority" else "normal"] += 1

    for seed in (1, 2, 3):
        run_churn(seed, 300, check, tick=tick)
    assert paths["full walk"] > 0 and paths["nothing"] > 0 and paths["relaxed"] > 100
    assert paths["normal"] > 500 and paths["vip"] > 500 and (paths["tie"] > 100 or not tick)


def test_equal_deadlines_are_ranked_by_arrival_and_audited_in_that_order() -> None:
    w = World()
    for q in ("q1", "q2", "q3", "q4", "q5", "q6", "q7"):
        w.queue(q)
    w.login("a1")
    w.ok(AgentPaused(w.agent("a1"), "break"))
    # Seven calls at the same instant: one deadline; arrival order decides, which the key
    # alone cannot tell. The VIP one (last to arrive) still goes first.
    for i, q in enumerate(("q7", "q3", "q5", "q1", "q6", "q2", "q4")):
        klass = PriorityClass.VIP if q == "q4" else None
        w.ok(CallArrived(CallRef(w.tenant, f"c{i}"), q, priority_class=klass))
    out = w.at(5).ok(AgentReady(w.agent("a1")))
    (record,) = out.decisions
    assert record.call == CallRef(w.tenant, "c6") and record.rule == "arbitration:priority"
    assert [c.ref for c in record.candidates] == ["q4", "q7", "q3", "q5", "q1"]
    assert record.candidates_considered == 7
    out = w.ok(AgentReady(w.agent("a1")))  # the agent is ringing: refused, no decision
    assert not out.decisions


def test_a_deadline_outside_the_key_range_falls_back_to_the_full_walk() -> None:
    w = World()
    w.queue("q1")
    w.queue("q2")
    w.login("a1")
    w.ok(AgentPaused(w.agent("a1"), "break"))
    w.at(3e11).ok(CallArrived(CallRef(w.tenant, "c1"), "q1"))
    w.at(3e11 + 1).ok(CallArrived(CallRef(w.tenant, "c2"), "q2"))
    st = w.engine.state
    agent = st.agents[w.agent("a1")]
    assert heads.arbitrate_fast(st, agent, st.now) is None
    out = w.ok(AgentReady(w.agent("a1")))
    (record,) = out.decisions
    assert record.call == CallRef(w.tenant, "c1") and record.candidates_considered == 2


def _relaxed_world() -> World:
    """Six queues agent a1 serves strictly, and q0, which it serves only after 10 s of wait."""
    w = World()
    w.queue("q0", {"en": 5}, relaxation=(RelaxStep(10, 1),))
    for i in range(1, 7):
        w.queue(f"q{i}")
    w.login("a1")
    w.ok(AgentPaused(w.agent("a1"), "break"))
    return w


def test_a_relaxed_queues_head_ranks_among_the_best_when_it_is_older() -> None:
    w = _relaxed_world()
    w.ok(CallArrived(CallRef(w.tenant, "old"), "q0"))
    for i in range(1, 7):
        w.at(20 + i).ok(CallArrived(CallRef(w.tenant, f"c{i}"), f"q{i}"))
    out = w.at(30).ok(AgentReady(w.agent("a1")))
    (record,) = out.decisions
    assert record.call == CallRef(w.tenant, "old") and record.rule == "arbitration:sl-deadline"
    assert [c.ref for c in record.candidates] == ["q0", "q1", "q2", "q3", "q4"]
    assert record.candidates_considered == 7


def test_a_relaxed_queues_lower_class_counts_for_the_rule_though_it_ranks_last() -> None:
    w = _relaxed_world()
    w.ok(CallArrived(CallRef(w.tenant, "old"), "q0"))
    for i in range(1, 7):
        w.at(20 + i).ok(CallArrived(CallRef(w.tenant, f"c{i}"), f"q{i}",
                                    priority_class=PriorityClass.VIP))
    out = w.at(30).ok(AgentReady(w.agent("a1")))
    (record,) = out.decisions
    assert record.call == CallRef(w.tenant, "c1") and record.rule == "arbitration:priority"
    assert [c.ref for c in record.candidates] == ["q1", "q2", "q3", "q4", "q5"]
    assert record.candidates_considered == 7


def test_vip_deadlines_closer_than_the_keys_resolution_are_still_ranked_by_deadline() -> None:
    # Both VIP keys round to one float (2**41 - 20 s leaves 0.5 ms steps); the later arrival
    # has the earlier deadline (a tighter service level) and must win.
    w = World()
    w.queue("q1", service_level=ServiceLevel(threshold_s=20.0))
    w.queue("q2", service_level=ServiceLevel(threshold_s=19.9999))
    w.login("a1")
    w.ok(AgentPaused(w.agent("a1"), "break"))
    w.at(0.0).ok(CallArrived(CallRef(w.tenant, "first"), "q1", priority_class=PriorityClass.VIP))
    w.at(0.00005).ok(CallArrived(CallRef(w.tenant, "tighter"), "q2",
                                 priority_class=PriorityClass.VIP))
    st = w.engine.state
    assert st.head_keys[0] == st.head_keys[1]
    out = w.at(1).ok(AgentReady(w.agent("a1")))
    (record,) = out.decisions
    assert record.call == CallRef(w.tenant, "tighter")
    assert [c.ref for c in record.candidates] == ["q2", "q1"]

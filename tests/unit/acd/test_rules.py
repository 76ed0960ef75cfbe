"""Worked examples per routing rule: priority, arbitration, relaxation, overflow, callback,
ring-no-answer, wrap-up, seat health, pauses, announcements, tenants and the audit."""

from __future__ import annotations

import itertools
import random

from control_plane.acd import Engine
from control_plane.acd.commands import (
    AnnouncePosition,
    CallFinished,
    CancelOffer,
    DialCallback,
    HangUpCall,
    MoveToQueue,
    OfferCall,
    PauseAgent,
    RejectCall,
    RequeueCall,
    ScheduleCallback,
    SendToVoicemail,
)
from control_plane.acd.events import (
    AgentPaused,
    AgentReady,
    CallbackRequested,
    CallEnded,
    OfferAccepted,
    OfferRejected,
    SeatQualityChanged,
    SeatRegistered,
    SeatUnregistered,
    TenantUpserted,
    TimerFired,
    WrapUpEnded,
)
from control_plane.acd.model import (
    AgentState,
    CallOutcome,
    OverflowAction,
    OverflowKind,
    OverflowRules,
    PriorityClass,
    PriorityRules,
    RelaxStep,
    SeatPolicy,
    ServiceLevel,
    SlaRiskPolicy,
    TenantConfig,
)
from tests.unit.acd.helpers import T, World, of_type, offers

VIP, IMPORTANT = PriorityClass.VIP, PriorityClass.IMPORTANT


def test_priority_beats_age_within_a_queue() -> None:
    w = World()
    w.queue("q")
    w.at(0).login("a", pause_reason="lunch")
    w.at(1).arrive("old_normal", "q")
    w.at(2).arrive("vip", "q", VIP)
    w.at(3).arrive("important", "q", IMPORTANT)
    w.at(4).arrive("new_normal", "q")
    positions = [w.engine.position(w.call(c)) for c in
                 ("vip", "important", "old_normal", "new_normal")]
    assert positions == [1, 2, 3, 4]
    assert offers(w.at(5).ok(AgentReady(w.agent("a")))) == [("vip", "a")]


def test_priority_comes_from_number_lists_crm_flag_and_ivr_choice() -> None:
    w = World()
    rules = PriorityRules(vip_numbers=frozenset({"+8613800000000"}))
    w.ok(TenantUpserted(TenantConfig(T, frozenset({"en"}), priority=rules)))
    w.queue("q")
    w.at(0).login("a", pause_reason="lunch")
    w.at(1).arrive("plain", "q")
    w.at(2).arrive("ivr", "q", attributes={"ivr_priority": "important"})
    w.at(3).arrive("crm", "q", attributes={"crm_priority": "VIP"})
    w.at(4).arrive("listed", "q", caller="+8613800000000")
    order = sorted(
        ("plain", "ivr", "crm", "listed"), key=lambda c: w.engine.position(w.call(c)) or 0
    )
    assert order == ["crm", "listed", "ivr", "plain"]


def test_a_free_agent_takes_the_queue_most_at_risk_of_missing_its_target() -> None:
    w = World()
    w.queue("relaxed", service_level=ServiceLevel(0.8, 60))
    w.queue("tight", service_level=ServiceLevel(0.8, 20))
    w.at(0).login("a", pause_reason="lunch")
    w.at(0).arrive("waited_longer", "relaxed")  # deadline 60
    w.at(30).arrive("tight_target", "tight")  # deadline 50
    out = w.at(35).ok(AgentReady(w.agent("a")))
    assert offers(out) == [("tight_target", "a")]
    assert out.decisions[0].rule == "arbitration:sl-deadline"
    assert {c.ref for c in out.decisions[0].candidates} == {"relaxed", "tight"}


def test_priority_class_comes_before_service_level_across_queues() -> None:
    w = World()
    w.queue("relaxed", service_level=ServiceLevel(0.8, 60))
    w.queue("tight", service_level=ServiceLevel(0.8, 20))
    w.at(0).login("a", pause_reason="lunch")
    w.at(0).arrive("tight_normal", "tight")
    w.at(10).arrive("relaxed_vip", "relaxed", VIP)
    out = w.at(35).ok(AgentReady(w.agent("a")))
    assert offers(out) == [("relaxed_vip", "a")]
    assert out.decisions[0].rule == "arbitration:priority"


def test_time_based_relaxation_lowers_then_drops_the_proficiency_floor() -> None:
    w = World()
    steps = (RelaxStep(30, 2), RelaxStep(60, None))
    w.queue("q", {"en": 4}, relaxation=steps)
    w.at(0).login("weak", {"en": 1})
    w.at(0).login("fair", {"en": 2}, pause_reason="lunch")
    assert offers(w.at(1).arrive("c1", "q")) == []
    w.at(0)
    assert offers(w.at(29).ok(TimerFired())) == []
    w.at(29).ok(AgentReady(w.agent("fair")))
    out = w.at(31).ok(TimerFired())
    assert offers(out) == [("c1", "fair")]
    assert out.decisions[0].rule.endswith("@relaxed-1-time")
    w.ok(OfferAccepted(w.call("c1"), w.agent("fair")))
    assert offers(w.at(32).arrive("c2", "q")) == []
    assert offers(w.at(62).ok(TimerFired())) == []  # level 1 now, but `fair` is busy
    out = w.at(92).ok(TimerFired())
    assert offers(out) == [("c2", "weak")]
    assert out.decisions[0].rule.endswith("@relaxed-2-time")


def test_sla_risk_relaxes_while_the_target_is_at_risk_and_tightens_back() -> None:
    w = World()
    risk = SlaRiskPolicy(relax_at=0.5, tighten_at=0.2, level=1, eval_period_s=5)
    w.queue("q", {"en": 4}, relaxation=(RelaxStep(10_000, 1),), sla_risk=risk,
            expected_handle_s=300)
    w.at(0).login("expert", {"en": 5})
    w.at(0).login("novice", {"en": 1})
    w.at(1).arrive("c0", "q")
    w.ok(OfferAccepted(w.call("c0"), w.agent("expert")))
    queue = w.engine.state.queues[(T, "q")]  # type: ignore[index]
    assert queue.risk_level == 0
    relaxed = None
    for i in range(1, 6):
        out = w.at(1 + 6 * i).arrive(f"c{i}", "q")
        for call, agent in offers(out):
            relaxed = relaxed or call
            assert agent == "novice"
            assert out.decisions[-1].rule.endswith("@relaxed-1-sla-risk")
            w.ok(OfferAccepted(w.call(call), w.agent(agent)))
    assert relaxed is not None and queue.risk_level == 1
    # Staff arrives, the backlog is served, arrivals stop: the queue tightens again.
    t = 40.0
    for name in ("expert2", "expert3", "expert4", "expert5"):
        for call, agent in offers(w.at(t).login(name, {"en": 5})):
            w.ok(OfferAccepted(w.call(call), w.agent(agent)))
    assert w.engine.waiting(queue.ref) == 0
    w.at(3000).ok(TimerFired())
    assert queue.risk_level == 0


def test_overflow_on_max_length_offers_a_callback_that_keeps_its_place() -> None:
    w = World()
    w.queue("q", overflow=OverflowRules(
        max_length=2, on_max_length=OverflowAction(OverflowKind.CALLBACK)))
    w.at(0).login("a", pause_reason="lunch")
    w.at(1).arrive("c1", "q")
    w.at(2).arrive("c2", "q")
    out = w.at(3).arrive("c3", "q", caller="555")
    (sched,) = of_type(out, ScheduleCallback)
    assert sched.position == 3 and sched.number == "555"
    assert w.engine.waiting((T, "q")) == 3  # type: ignore[arg-type]
    w.at(4).arrive("c4", "q")  # a fourth caller queues behind the callback
    assert w.engine.position(w.call("c4")) == 4
    assert offers(w.at(5).ok(AgentReady(w.agent("a")))) == [("c1", "a")]


def test_callback_requested_in_the_middle_keeps_position_and_dials_at_its_turn() -> None:
    w = World()
    w.queue("q")
    w.at(0).login("a", pause_reason="lunch")
    for i in range(3):
        w.at(i).arrive(f"c{i}", "q", caller=f"10{i}")
    w.at(5).ok(CallbackRequested(w.call("c1")))
    assert [w.engine.position(w.call(f"c{i}")) for i in range(3)] == [1, 2, 3]
    w.at(6).ok(AgentReady(w.agent("a")))
    w.ok(OfferAccepted(w.call("c0"), w.agent("a")))
    out = w.at(50).ok(CallEnded(w.call("c0")))
    (offer,) = of_type(out, OfferCall)
    assert offer.call.call == "c1" and offer.callback
    out = w.ok(OfferAccepted(w.call("c1"), w.agent("a")))
    (dial,) = of_type(out, DialCallback)
    assert dial.number == "101"


def test_overflow_on_max_wait_moves_to_another_queue() -> None:
    w = World()
    w.queue("backup", {"zh": 1})
    w.queue("q", overflow=OverflowRules(
        max_wait_s=60, on_max_wait=OverflowAction(OverflowKind.QUEUE, "backup")))
    w.at(0).login("zh_agent", {"zh": 2})
    w.at(0).login("en_agent", {"en": 2}, pause_reason="lunch")
    w.at(1).arrive("c1", "q")
    out = w.at(61).ok(TimerFired())
    (move,) = of_type(out, MoveToQueue)
    assert move.to_queue.queue == "backup"
    assert offers(out) == [("c1", "zh_agent")]
    assert out.decisions[0].rule == "overflow:max_wait->queue"


def test_overflow_actions_voicemail_reject_and_hang_up() -> None:
    w = World()
    w.queue("vm", overflow=OverflowRules(on_no_agents=OverflowAction(OverflowKind.VOICEMAIL)))
    w.queue("rej", overflow=OverflowRules(
        on_no_agents=OverflowAction(OverflowKind.REJECT, sip_code=480)))
    w.queue("hang", overflow=OverflowRules(max_wait_s=30))
    out = w.at(1).arrive("c1", "vm")
    assert of_type(out, SendToVoicemail)
    assert of_type(out, CallFinished)[0].outcome is CallOutcome.OVERFLOWED
    out = w.at(2).arrive("c2", "rej")
    assert of_type(out, RejectCall)[0].sip_code == 480
    assert of_type(out, CallFinished)[0].outcome is CallOutcome.REJECTED
    w.at(3).arrive("c3", "hang")
    out = w.at(33).ok(TimerFired())
    assert of_type(out, HangUpCall)
    assert of_type(out, CallFinished)[0].outcome is CallOutcome.TIMED_OUT
    assert not w.engine.state.calls


def test_last_agent_logging_out_overflows_the_waiting_calls() -> None:
    from control_plane.acd.events import AgentLoggedOut

    w = World()
    w.queue("q", overflow=OverflowRules(on_no_agents=OverflowAction(OverflowKind.VOICEMAIL)))
    w.at(0).login("a", pause_reason="lunch")
    w.at(1).arrive("c1", "q")
    out = w.at(2).ok(AgentLoggedOut(w.agent("a")))
    assert of_type(out, SendToVoicemail)


def test_ring_no_answer_requeues_at_the_original_position_and_pauses_the_agent() -> None:
    w = World()
    w.queue("q", ring_timeout_s=10)
    w.at(0).login("a")
    w.at(1).arrive("c1", "q")
    w.at(2).arrive("c2", "q")
    w.at(3).arrive("c3", "q")
    out = w.at(11).ok(TimerFired())
    assert of_type(out, CancelOffer)
    assert of_type(out, PauseAgent)[0].reason == "no_answer"
    assert of_type(out, RequeueCall)[0].position == 1
    assert w.engine.agent_state(w.agent("a")) is AgentState.PAUSED
    assert offers(w.at(12).login("b")) == [("c1", "b")]


def test_without_auto_pause_the_agent_is_not_offered_the_same_call_again() -> None:
    w = World()
    w.queue("q", ring_timeout_s=10, pause_on_no_answer=False)
    w.at(0).login("a")
    w.at(1).arrive("c1", "q")
    w.at(2).arrive("c2", "q")
    out = w.at(11).ok(TimerFired())
    assert offers(out) == [("c2", "a")]
    assert w.engine.position(w.call("c1")) == 1


def test_max_offers_sends_the_call_to_voicemail() -> None:
    w = World()
    w.queue("q", overflow=OverflowRules(
        max_offers=2, on_max_offers=OverflowAction(OverflowKind.VOICEMAIL)))
    w.at(0).login("a")
    w.at(0).login("b")
    w.at(1).arrive("c1", "q")
    first = w.engine.state.calls[w.call("c1")].offered[0]
    name = w.engine.state.agents_by_idx[first].ref.agent
    out = w.at(2).ok(OfferRejected(w.call("c1"), w.agent(name)))
    ((_, second),) = offers(out)
    out = w.at(3).ok(OfferRejected(w.call("c1"), w.agent(second)))
    assert of_type(out, SendToVoicemail)


def test_wrap_up_holds_the_agent_until_its_timer_or_an_early_end() -> None:
    w = World()
    w.queue("q", wrap_up_s=30)
    w.at(0).login("a")
    w.at(1).arrive("c1", "q")
    w.ok(OfferAccepted(w.call("c1"), w.agent("a")))
    w.at(2).arrive("c2", "q")
    w.at(3).arrive("c3", "q")
    assert offers(w.at(100).ok(CallEnded(w.call("c1")))) == []
    assert w.engine.agent_state(w.agent("a")) is AgentState.WRAP_UP
    assert offers(w.at(129).ok(TimerFired())) == []
    assert offers(w.at(130).ok(TimerFired())) == [("c2", "a")]
    w.ok(OfferAccepted(w.call("c2"), w.agent("a")))
    w.at(140).ok(CallEnded(w.call("c2")))
    assert offers(w.at(141).ok(WrapUpEnded(w.agent("a")))) == [("c3", "a")]


def test_pause_requested_during_a_call_applies_after_it() -> None:
    w = World()
    w.queue("q")
    w.at(0).login("a")
    w.at(1).arrive("c1", "q")
    w.ok(OfferAccepted(w.call("c1"), w.agent("a")))
    out = w.ok(AgentPaused(w.agent("a"), "training"))
    assert out.notes
    w.at(2).arrive("c2", "q")
    assert offers(w.at(3).ok(CallEnded(w.call("c1")))) == []
    assert w.engine.agent_state(w.agent("a")) is AgentState.PAUSED


def test_degraded_seat_is_excluded_or_ranked_down_per_queue() -> None:
    w = World()
    w.queue("strict", seat_policy=SeatPolicy.EXCLUDE)
    w.queue("lenient", seat_policy=SeatPolicy.RANK_DOWN)
    w.at(0).login("shaky")
    w.ok(SeatQualityChanged(w.agent("shaky"), mos=2.1, jitter_ms=80, loss_pct=5))
    w.at(5).login("solid")
    # Longest idle would be `shaky`, but the healthy seat ranks first in both policies.
    assert offers(w.at(10).arrive("c1", "lenient")) == [("c1", "solid")]
    assert offers(w.at(11).arrive("c2", "strict")) == []
    assert offers(w.at(12).arrive("c3", "lenient")) == [("c3", "shaky")]
    w.ok(OfferAccepted(w.call("c3"), w.agent("shaky")))
    w.at(13).ok(CallEnded(w.call("c3")))
    # Back to healthy figures: the strict queue's call goes to it at once.
    assert offers(w.at(14).ok(SeatQualityChanged(w.agent("shaky"), mos=4.3))) == [("c2", "shaky")]


def test_unregistered_seat_is_never_offered_and_a_ringing_offer_fails_over() -> None:
    w = World()
    w.queue("q")
    w.at(0).login("a")
    w.at(1).login("b", seat_registered=False)
    assert offers(w.at(2).arrive("c1", "q")) == [("c1", "a")]
    out = w.at(3).ok(SeatUnregistered(w.agent("a")))
    assert of_type(out, CancelOffer)
    assert of_type(out, RequeueCall)
    assert offers(out) == []
    assert offers(w.at(4).ok(SeatRegistered(w.agent("b")))) == [("c1", "b")]


def test_announcements_repeat_with_growing_estimates_by_position() -> None:
    w = World()
    w.queue("q", announce_period_s=30, expected_handle_s=120)
    w.at(0).login("a", pause_reason="lunch")
    w.at(0).login("b", pause_reason="lunch")
    w.at(0).ok(AgentReady(w.agent("a")))
    w.at(0).arrive("c0", "q")
    w.ok(OfferAccepted(w.call("c0"), w.agent("a")))
    w.at(0).ok(AgentReady(w.agent("b")))
    w.at(0).arrive("c00", "q")
    w.ok(OfferAccepted(w.call("c00"), w.agent("b")))
    first = of_type(w.at(1).arrive("c1", "q"), AnnouncePosition)[0]
    second = of_type(w.at(2).arrive("c2", "q"), AnnouncePosition)[0]
    assert first.position == 1 and second.position == 2
    e1, e2 = first.estimate, second.estimate
    assert e1.expected_s == 60.0 and e2.expected_s == 120.0  # 2 agents, 120 s each
    assert e1.low_s < e1.expected_s < e1.high_s and e2.low_s > e1.low_s
    repeated = of_type(w.at(32).ok(TimerFired()), AnnouncePosition)
    assert [a.call.call for a in repeated] == ["c1", "c2"]


def test_tenants_never_share_agents_even_with_equal_names() -> None:
    w = World(tenant="alpha")
    w.queue("sales")
    beta = World(tenant="beta")
    beta.engine = w.engine
    beta.ok(TenantUpserted(TenantConfig("beta", frozenset({"en"}))))
    beta.queue("sales")
    beta.at(0).login("same_name")
    assert offers(w.at(1).arrive("c1", "sales")) == []
    assert offers(beta.at(2).arrive("c1", "sales")) == [("c1", "same_name")]


def test_agent_with_two_lines_takes_a_second_call() -> None:
    w = World()
    w.queue("chat")
    w.at(0).login("a", max_concurrent=2)
    w.at(1).arrive("c1", "chat")
    w.ok(OfferAccepted(w.call("c1"), w.agent("a")))
    assert offers(w.at(2).arrive("c2", "chat")) == [("c2", "a")]
    w.ok(OfferAccepted(w.call("c2"), w.agent("a")))
    assert offers(w.at(3).arrive("c3", "chat")) == []


def test_decision_records_carry_timing_only_from_an_injected_clock() -> None:
    ticks = itertools.count()
    w = World()
    w.engine = Engine(random.Random(1), clock=lambda: next(ticks) * 1e-6)
    w.ok(TenantUpserted(TenantConfig(T, frozenset({"en"}))))
    w.queue("q")
    w.at(0).login("a")
    (record,) = w.at(1).arrive("c1", "q").decisions
    assert record.elapsed_us is not None and record.elapsed_us > 0
    assert record.agents == (w.agent("a"),) and record.rule == "longest-idle"
    plain = World()
    plain.queue("q")
    plain.at(0).login("a")
    assert plain.at(1).arrive("c1", "q").decisions[0].elapsed_us is None


def test_arbitration_audit_keeps_the_best_five_and_counts_every_queue_compared() -> None:
    w = World()
    for i in range(8):
        w.queue(f"q{i}", service_level=ServiceLevel(0.8, 20 + i))
    w.at(0).login("a", pause_reason="lunch")
    for i in range(8):
        w.at(i).arrive(f"c{i}", f"q{i}")  # deadlines 20, 22, …, 34: q0 is the most urgent
    out = w.at(40).ok(AgentReady(w.agent("a")))
    assert offers(out) == [("c0", "a")]
    (record,) = out.decisions
    assert record.candidates_considered == 8
    assert [c.ref for c in record.candidates] == ["q0", "q1", "q2", "q3", "q4"]
    assert [c.score for c in record.candidates] == sorted(
        (c.score for c in record.candidates), reverse=True
    )
    assert record.rule == "arbitration:sl-deadline"

"""Bad input gets a typed refusal and leaves the state exactly as it was."""

from __future__ import annotations

import pytest

from control_plane.acd.errors import RejectionCode
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
    QueueUpserted,
    SeatQualityChanged,
    WrapUpEnded,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    OverflowAction,
    OverflowKind,
    OverflowRules,
    QueueConfig,
    RelaxStep,
    SkillRequirement,
)
from tests.unit.acd.fingerprint import fingerprint
from tests.unit.acd.helpers import T, World


def busy_world() -> World:
    """Queued, ringing and connected calls, ready/paused/talking agents."""
    w = World()
    w.queue("q", wrap_up_s=10)
    w.at(0).login("talker")
    w.at(0).login("ringer")
    w.at(0).login("lunch", pause_reason="lunch")
    w.at(1).arrive("connected", "q")
    w.ok(OfferAccepted(w.call("connected"), w.agent("talker")))
    w.at(2).arrive("ringing", "q")
    w.at(3).arrive("queued", "q")
    return w


def sk(skill: str, minimum: int = 1) -> tuple[SkillRequirement, ...]:
    return (SkillRequirement(skill, minimum),)


BAD: list[tuple[str, Event, RejectionCode]] = [
    ("unknown queue", CallArrived(CallRef(T, "x"), "nope"), RejectionCode.UNKNOWN_QUEUE),
    ("unknown tenant", CallArrived(CallRef("other", "x"), "q"), RejectionCode.UNKNOWN_TENANT),
    ("duplicate call", CallArrived(CallRef(T, "queued"), "q"), RejectionCode.DUPLICATE_CALL),
    ("missing call", CallAbandoned(CallRef(T, "ghost")), RejectionCode.UNKNOWN_CALL),
    ("missing call end", CallEnded(CallRef(T, "ghost")), RejectionCode.UNKNOWN_CALL),
    ("end of queued call", CallEnded(CallRef(T, "queued")), RejectionCode.OUT_OF_ORDER),
    ("abandon connected", CallAbandoned(CallRef(T, "connected")), RejectionCode.OUT_OF_ORDER),
    ("accept by wrong agent", OfferAccepted(CallRef(T, "ringing"), AgentRef(T, "talker")),
     RejectionCode.OUT_OF_ORDER),
    ("accept queued call", OfferAccepted(CallRef(T, "queued"), AgentRef(T, "ringer")),
     RejectionCode.OUT_OF_ORDER),
    ("reject connected", OfferRejected(CallRef(T, "connected"), AgentRef(T, "talker")),
     RejectionCode.OUT_OF_ORDER),
    ("callback while ringing", CallbackRequested(CallRef(T, "ringing")),
     RejectionCode.OUT_OF_ORDER),
    ("unknown agent", AgentReady(AgentRef(T, "ghost")), RejectionCode.UNKNOWN_AGENT),
    ("agent of another tenant", AgentReady(AgentRef("other", "talker")),
     RejectionCode.UNKNOWN_AGENT),
    ("double login", AgentLoggedIn(AgentRef(T, "talker"), AgentProfile({"en": 1})),
     RejectionCode.OUT_OF_ORDER),
    ("login unknown skill", AgentLoggedIn(AgentRef(T, "new"), AgentProfile({"klingon": 3})),
     RejectionCode.UNKNOWN_SKILL),
    ("login bad proficiency", AgentLoggedIn(AgentRef(T, "new"), AgentProfile({"en": 9})),
     RejectionCode.INVALID),
    ("login unknown pause", AgentLoggedIn(AgentRef(T, "new"), AgentProfile({"en": 1}), "nap"),
     RejectionCode.UNKNOWN_PAUSE_REASON),
    ("logout while talking", AgentLoggedOut(AgentRef(T, "talker")), RejectionCode.OUT_OF_ORDER),
    ("pause while ringing", AgentPaused(AgentRef(T, "ringer"), "lunch"),
     RejectionCode.OUT_OF_ORDER),
    ("unknown pause reason", AgentPaused(AgentRef(T, "lunch"), "nap"),
     RejectionCode.UNKNOWN_PAUSE_REASON),
    ("wrap-up end when ready", WrapUpEnded(AgentRef(T, "lunch")), RejectionCode.OUT_OF_ORDER),
    ("seat event unknown agent", SeatQualityChanged(AgentRef(T, "ghost"), 4.0),
     RejectionCode.UNKNOWN_AGENT),
    ("queue unknown skill", QueueUpserted(QueueConfig(T, "q2", sk("klingon"))),
     RejectionCode.UNKNOWN_SKILL),
    ("queue unknown strategy", QueueUpserted(QueueConfig(T, "q2", sk("en"), strategy="coin")),
     RejectionCode.UNKNOWN_STRATEGY),
    ("queue bad relaxation", QueueUpserted(QueueConfig(
        T, "q2", sk("en"), relaxation=(RelaxStep(60), RelaxStep(30)))), RejectionCode.INVALID),
    ("queue overflow to itself", QueueUpserted(QueueConfig(T, "q2", sk("en"), overflow=(
        OverflowRules(on_no_agents=OverflowAction(OverflowKind.QUEUE, "q2"))))),
     RejectionCode.INVALID),
    ("queue in unknown tenant", QueueUpserted(QueueConfig("other", "q", sk("en"))),
     RejectionCode.UNKNOWN_TENANT),
]


@pytest.mark.parametrize(("label", "event", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_event_is_refused_with_a_type_and_changes_nothing(
    label: str, event: Event, code: RejectionCode
) -> None:
    w = busy_world()
    before = fingerprint(w.engine)
    out = w.engine.apply(event, w.now)
    assert out.rejection is not None and out.rejection.code is code, (label, out)
    assert out.commands == () and out.decisions == ()
    assert fingerprint(w.engine) == before


def test_clock_going_back_is_refused() -> None:
    w = busy_world()
    before = fingerprint(w.engine)
    out = w.engine.apply(AgentReady(AgentRef(T, "lunch")), w.now - 1)
    assert out.rejection is not None and out.rejection.code is RejectionCode.CLOCK_WENT_BACK
    assert fingerprint(w.engine) == before


def test_redundant_agent_event_is_a_noop_with_a_reason() -> None:
    w = busy_world()
    before = fingerprint(w.engine)
    out = w.ok(AgentReady(w.agent("talker")))
    assert out.notes and fingerprint(w.engine) == before


def test_not_an_event_is_refused() -> None:
    w = busy_world()
    out = w.engine.apply("hello", 10)  # type: ignore[arg-type]
    assert out.rejection is not None and out.rejection.code is RejectionCode.INVALID

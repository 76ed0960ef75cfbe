"""The hot-path constructors build exactly what the frozen dataclasses would."""

from __future__ import annotations

import dataclasses

import pytest

from control_plane.acd.commands import (
    CallFinished,
    Candidate,
    ConnectCall,
    DecisionRecord,
    DecisionTrigger,
    OfferCall,
    call_finished,
    connect_call,
    decision_record,
    offer_call,
)
from control_plane.acd.model import AgentRef, CallOutcome, CallRef, QueueRef

CALL, AGENT, QUEUE = CallRef("t", "c"), AgentRef("t", "a"), QueueRef("t", "q")


def test_fast_constructors_equal_the_dataclass_constructors() -> None:
    pairs: list[tuple[object, object]] = [
        (offer_call(CALL, AGENT, QUEUE, 15.0, True), OfferCall(CALL, AGENT, QUEUE, 15.0, True)),
        (connect_call(CALL, AGENT), ConnectCall(CALL, AGENT)),
        (call_finished(CALL, QUEUE, CallOutcome.ANSWERED, 2.5),
         CallFinished(CALL, QUEUE, CallOutcome.ANSWERED, 2.5)),
        (decision_record(7, 1.0, DecisionTrigger.AGENT_AVAILABLE, queue=QUEUE, call=CALL,
                         agents=(AGENT,), rule="r", candidates=(Candidate("q", 1.0),),
                         candidates_considered=3, elapsed_us=None),
         DecisionRecord(7, 1.0, DecisionTrigger.AGENT_AVAILABLE, QUEUE, CALL, (AGENT,), "r",
                        (Candidate("q", 1.0),), 3, None)),
    ]
    for fast, slow in pairs:
        assert type(fast) is type(slow)
        assert fast == slow
        assert hash(fast) == hash(slow)
        assert repr(fast) == repr(slow)


def test_fast_built_objects_stay_frozen() -> None:
    offer = offer_call(CALL, AGENT, QUEUE, 15.0, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        offer.ring_timeout_s = 1.0  # type: ignore[misc]

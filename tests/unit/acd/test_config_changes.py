"""Replacing a queue's configuration while its calls ring or talk leaves them consistent."""

from __future__ import annotations

from control_plane.acd.events import OfferRejected
from control_plane.acd.model import QueueRef, RelaxStep
from tests.unit.acd.helpers import World, offers


def test_a_ringing_call_relaxed_past_the_new_config_requeues_at_its_top_level() -> None:
    w = World()
    w.queue("q", {"en": 5}, relaxation=(RelaxStep(10, 3), RelaxStep(20, None)))
    w.arrive("c1", "q")
    w.login("low", {"en": 1})
    w.at(25)  # both relaxation steps are due: the call now takes any agent with "en"
    out = w.login("other", {"en": 1})
    assert offers(out) == [("c1", "low")]
    # The queue loses its relaxation while the call rings; then the agent declines.
    w.queue("q", {"en": 5})
    out = w.ok(OfferRejected(w.call("c1"), w.agent("low")))
    # Back in the queue at its place; only the strict requirement applies now.
    assert offers(out) == []
    assert w.engine.position(w.call("c1")) == 1
    assert w.engine.waiting(QueueRef(w.tenant, "q")) == 1
    assert offers(w.login("expert", {"en": 5})) == [("c1", "expert")]

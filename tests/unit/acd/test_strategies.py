"""Worked examples, one or more per routing strategy."""

from __future__ import annotations

from collections import Counter

from control_plane.acd.commands import CancelOffer
from control_plane.acd.events import (
    CallAbandoned,
    CallEnded,
    OfferAccepted,
    TimerFired,
)
from tests.unit.acd.helpers import World, of_type, offers


def cycle(w: World, call: str, queue: str, start: float, talk: float) -> str:
    """One call from arrival to end; returns the agent that took it."""
    out = w.at(start).arrive(call, queue)
    ((_, agent),) = offers(out)
    w.ok(OfferAccepted(w.call(call), w.agent(agent)))
    w.at(start + talk).ok(CallEnded(w.call(call)))
    return agent


def test_longest_idle_offers_the_agent_idle_longest() -> None:
    w = World()
    w.queue("q", strategy="longest-idle")
    w.at(0).login("late_login_but_first", {"en": 1})
    w.at(5).login("second", {"en": 5})
    out = w.at(10).arrive("c1", "q")
    assert offers(out) == [("c1", "late_login_but_first")]
    assert out.decisions[0].rule == "longest-idle"
    assert [c.ref for c in out.decisions[0].candidates] == ["late_login_but_first", "second"]


def test_top_down_always_starts_from_the_first_position() -> None:
    w = World()
    w.queue("q", strategy="top-down")
    w.at(0).login("third", order=3)
    w.at(1).login("first", order=1)
    w.at(2).login("second", order=2)
    assert cycle(w, "c1", "q", 10, 5) == "first"
    assert cycle(w, "c2", "q", 20, 5) == "first"


def test_round_robin_continues_after_the_last_pick_and_wraps() -> None:
    w = World()
    w.queue("q", strategy="round-robin")
    for order, name in ((1, "a"), (2, "b"), (3, "c")):
        w.at(0).login(name, order=order)
    picks = [cycle(w, f"c{i}", "q", 10 * i + 10, 1) for i in range(5)]
    assert picks == ["a", "b", "c", "a", "b"]


def test_fewest_calls_prefers_the_agent_with_fewer_handled_calls() -> None:
    w = World()
    w.queue("q", strategy="fewest-calls")
    w.at(0).login("busy")
    assert cycle(w, "c1", "q", 10, 5) == "busy"
    assert cycle(w, "c2", "q", 20, 5) == "busy"
    w.at(30).login("fresh")
    w.at(30).login("one_call_later", {"en": 2})
    # `busy` has been idle longest but handled two calls; `fresh` has none.
    out = w.at(31).arrive("c3", "q")
    assert offers(out) == [("c3", "fresh")]


def test_least_talk_time_prefers_the_agent_who_talked_least() -> None:
    w = World()
    w.queue("q", strategy="least-talk-time")
    w.at(0).login("long_talker", order=1)
    w.at(0).login("short_talker", order=2)
    assert offers(w.at(1).arrive("c1", "q")) == [("c1", "long_talker")]
    w.ok(OfferAccepted(w.call("c1"), w.agent("long_talker")))
    assert offers(w.at(90).arrive("c2", "q")) == [("c2", "short_talker")]
    w.ok(OfferAccepted(w.call("c2"), w.agent("short_talker")))
    w.at(100).ok(CallEnded(w.call("c1")))  # 99 s of talk, idle since 100
    w.at(120).ok(CallEnded(w.call("c2")))  # 30 s of talk, idle since 120
    # long_talker has been idle longer, but short_talker talked less.
    assert offers(w.at(130).arrive("c3", "q")) == [("c3", "short_talker")]


def draws(strategy: str, weights: dict[str, float], n: int, seed: int = 3) -> Counter[str]:
    w = World(seed=seed)
    w.queue("q", strategy=strategy)
    for name, weight in weights.items():
        w.at(0).login(name, weight=weight)
    seen: Counter[str] = Counter()
    for i in range(n):
        out = w.at(1 + i).arrive(f"c{i}", "q")
        seen[offers(out)[0][1]] += 1
        w.ok(CallAbandoned(w.call(f"c{i}")))
    return seen


def test_random_is_uniform_and_reproducible() -> None:
    seen = draws("random", {"a": 1, "b": 1, "c": 1}, 600)
    assert set(seen) == {"a", "b", "c"}
    assert all(150 <= v <= 250 for v in seen.values()), seen
    assert draws("random", {"a": 1, "b": 1, "c": 1}, 50) == draws(
        "random", {"a": 1, "b": 1, "c": 1}, 50
    )


def test_weighted_random_follows_the_weights() -> None:
    seen = draws("weighted-random", {"light": 1.0, "heavy": 3.0}, 800)
    assert 0.68 <= seen["heavy"] / 800 <= 0.82, seen


def test_ring_all_rings_everyone_and_the_first_answer_wins() -> None:
    w = World()
    w.queue("q", strategy="ring-all")
    for name in ("a", "b", "c"):
        w.at(0).login(name)
    w.at(0).login("no_skill", {"zh": 5})
    out = w.at(5).arrive("c1", "q")
    assert sorted(a for _, a in offers(out)) == ["a", "b", "c"]
    accepted = w.at(7).ok(OfferAccepted(w.call("c1"), w.agent("b")))
    assert sorted(c.agent.agent for c in of_type(accepted, CancelOffer)) == ["a", "c"]
    # The released agents are free again.
    assert offers(w.at(8).arrive("c2", "q"))


def test_ring_progressively_adds_one_agent_per_step() -> None:
    w = World()
    w.queue("q", strategy="ring-progressively", progressive_step_s=4, ring_timeout_s=30)
    for i, name in enumerate(("a", "b", "c")):
        w.at(i).login(name)
    assert offers(w.at(10).arrive("c1", "q")) == [("c1", "a")]
    assert offers(w.at(14).ok(TimerFired())) == [("c1", "b")]
    assert offers(w.at(18).ok(TimerFired())) == [("c1", "c")]
    accepted = w.at(19).ok(OfferAccepted(w.call("c1"), w.agent("b")))
    assert len(of_type(accepted, CancelOffer)) == 2


def test_best_match_weighs_proficiency() -> None:
    w = World()
    w.queue("q", strategy="best-match")
    w.at(0).login("novice", {"en": 1})
    w.at(0).login("expert", {"en": 5})
    out = w.at(10).arrive("c1", "q")
    assert offers(out) == [("c1", "expert")]
    scores = {c.ref: c.score for c in out.decisions[0].candidates}
    assert scores["expert"] > scores["novice"]


def test_best_match_ranks_down_agents_who_took_more_than_their_share() -> None:
    w = World()
    w.queue("q", strategy="best-match")
    w.at(0).login("star", {"en": 5})
    for i in range(4):
        assert cycle(w, f"warm{i}", "q", 10 * i + 1, 2) == "star"
    w.at(50).login("rested", {"en": 4})
    assert offers(w.at(55).arrive("c1", "q")) == [("c1", "rested")]

"""The cached structures behind O(1)/O(log n) decisions agree with plain recomputation."""

from __future__ import annotations

import heapq
import random

from control_plane.acd import Engine, routing
from control_plane.acd.indexes import MAX_PROFICIENCY, IdleIndex
from control_plane.acd.model import AgentRef, OrderKind
from control_plane.acd.state import LiveAgent
from tests.unit.acd.churn import run_churn


def agent(idx: int, rng: random.Random) -> LiveAgent:
    skills = {s: rng.randint(1, MAX_PROFICIENCY) for s in rng.sample(range(4), 2)}
    return LiveAgent(
        ref=AgentRef("t", f"a{idx}"), idx=idx, skills=skills, order=rng.randint(0, 5),
        weight=1.0, max_concurrent=1, idle_since=rng.random() * 100,
        calls_handled=rng.randint(0, 9), talk_time=rng.random() * 1000,
        seat_degraded=rng.random() < 0.2,
    )


def expected(agents: list[LiveAgent], skill: int, minimum: int, degraded: bool,
             kind: OrderKind) -> list[list[tuple[float | int, ...]]]:
    out: list[list[tuple[float | int, ...]]] = []
    for proficiency in range(MAX_PROFICIENCY, minimum - 1, -1):
        keys: list[tuple[float | int, ...]] = sorted(
            a.idle_keys[kind] for a in agents
            if a.idle_keys is not None and a.skills.get(skill) == proficiency
            and a.idle_degraded == degraded
        )
        if keys:
            out.append(keys)
    return out


def test_orders_kept_on_demand_match_a_full_sort_through_adds_and_removes() -> None:
    rng = random.Random(3)
    index = IdleIndex()
    agents = [agent(i, rng) for i in range(60)]
    for step in range(400):
        a = rng.choice(agents)
        if a.idle_keys is None:
            a.idle_since = step + rng.random()
            index.add(a)
        else:
            index.remove(a)
        if step % 37 == 0:
            # Ask for some order (the first time builds it), then check every kept one.
            index.lists(rng.randrange(4), 1, False, rng.choice(list(OrderKind)))
            for skill in range(4):
                for kind in OrderKind:
                    for degraded in (False, True):
                        for minimum in (1, 3):
                            got = index.lists(skill, minimum, degraded, kind)
                            assert got == expected(agents, skill, minimum, degraded, kind)
                            want = sum(len(lst) for lst in got)
                            assert index.count(skill, minimum, degraded) == want


def test_queue_top_is_always_the_first_waiting_call() -> None:
    checks = 0

    def check(engine: Engine) -> None:
        nonlocal checks
        for queue in engine.state.queues.values():
            first = next(iter(heapq.merge(*queue.waiting)), None)
            top = queue.top
            assert (None if top is None else top.key) == first
            checks += 1

    for seed in (1, 2, 3):
        run_churn(seed, 400, check)
    assert checks > 10_000


def test_fast_arbitration_heads_match_the_full_walk() -> None:
    # For every logged-in agent after every event, the shortcut (cached queue heads) offers
    # the same calls as walking every queue level with declines and seat policy applied.
    compared = declined = 0

    def check(engine: Engine) -> None:
        nonlocal compared, declined
        st = engine.state
        for agent in st.agents.values():
            fast = None if agent.seat_degraded else routing._heads_fast(st, agent)
            if fast is None:
                declined += not agent.seat_degraded
                continue
            assert {c.seq for c in fast} == {c.seq for c in routing._heads_full(st, agent)}
            compared += 1

    for seed in (1, 2, 3):
        run_churn(seed, 400, check)
    assert compared > 2_000 and declined > 0

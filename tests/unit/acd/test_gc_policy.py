"""The engine's GC policy: what it sets, and why freezing the engine's state is safe.

`apply_gc_policy` moves the loaded state to the collector's permanent generation, where a
cycle that later becomes garbage would never be reclaimed. That is safe only because the
engine's agents, calls and queues leave through reference counting: the churn below (logouts,
abandons, rejects, no-answers, queue reconfiguration, seat changes) runs with the collector
off, and every engine object still alive must be one the state holds.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from control_plane.acd import Engine
from control_plane.acd.state import LiveAgent, LiveCall, QueueState, TenantState
from control_plane.runtime.gc_policy import (
    DEFAULT_THRESHOLDS,
    ENGINE_POLICY,
    GcPolicy,
    GcPolicyError,
    apply_gc_policy,
    reset_gc_policy,
)
from tests.unit.acd.churn import run_churn


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The cyclic collector off for the test (unreachable cycles then stay visible)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """Whatever the test does to the collector, the process gets its settings back."""
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        yield
    finally:
        if not frozen:
            gc.unfreeze()
        gc.set_threshold(*thresholds)


def _alive(kind: type) -> list[object]:
    return [o for o in gc.get_objects() if type(o) is kind]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.usefixtures("collector_off")
def test_churned_engine_objects_are_freed_without_the_collector(seed: int) -> None:
    engines: list[Engine] = []

    def keep(engine: Engine) -> None:
        if not engines:
            engines.append(engine)

    kinds = (LiveCall, LiveAgent, QueueState, TenantState)
    # What other tests of this process left alive is not this churn's leftover.
    before: dict[type, set[int]] = {kind: {id(o) for o in _alive(kind)} for kind in kinds}
    run_churn(seed, 1500, keep)
    st = engines[0].state
    assert len(st.calls) > 0 and len(st.agents) > 0  # the check below has something to find
    held: dict[type, set[int]] = {
        LiveCall: {id(c) for c in st.calls.values()},
        LiveAgent: {id(a) for a in st.agents.values()},
        QueueState: {id(q) for q in st.queues.values()},
        TenantState: {id(t) for t in st.tenants.values()},
    }
    for kind, ids in held.items():
        leftovers = [o for o in _alive(kind) if id(o) not in ids | before[kind]]
        # (not their repr: a LiveCall's reaches its whole queue)
        assert not leftovers, f"{len(leftovers)} {kind.__name__} left for the cyclic collector"


def test_churn_counts_what_it_should() -> None:
    """The check above can fail: an object kept only by a cycle is found."""
    gc.collect()
    gc.disable()
    try:
        engines: list[Engine] = []
        run_churn(4, 300, lambda e: engines.append(e) if not engines else None)
        agent = next(iter(engines[0].state.agents.values()))
        orphan = LiveAgent(agent.ref, agent.idx, {}, 0, 1.0, 1)
        orphan.eligible.append((orphan, 0))  # type: ignore[arg-type]  # a cycle, on purpose
        del orphan
        ids = {id(a) for a in engines[0].state.agents.values()}
        assert [o for o in _alive(LiveAgent) if id(o) not in ids]
    finally:
        gc.enable()
        gc.collect()


@pytest.mark.usefixtures("restored_gc")
def test_policy_freezes_the_loaded_state_and_raises_gen0() -> None:
    reset_gc_policy()
    assert gc.get_freeze_count() == 0
    engine = Engine()
    assert gc.is_tracked(engine.state)
    assert id(engine.state) in {id(o) for o in gc.get_objects()}
    applied = apply_gc_policy()
    assert applied.thresholds == (ENGINE_POLICY.gen0, ENGINE_POLICY.gen1, ENGINE_POLICY.gen2)
    assert gc.get_threshold() == (10_000, 10, 10)
    assert applied.frozen == gc.get_freeze_count() > 0
    # The engine's state is frozen: no generation holds it any more.
    young_or_old = {id(o) for gen in range(3) for o in gc.get_objects(gen)}
    assert id(engine.state) not in young_or_old
    reset_gc_policy()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == DEFAULT_THRESHOLDS


@pytest.mark.usefixtures("restored_gc")
def test_policy_without_freeze_only_sets_thresholds() -> None:
    reset_gc_policy()
    applied = apply_gc_policy(GcPolicy(gen0=5_000, freeze=False))
    assert applied == type(applied)(frozen=0, thresholds=(5_000, 10, 10))


@pytest.mark.parametrize("bad", [{"gen0": 0}, {"gen1": -1}, {"gen2": True}, {"gen0": 1.5}])
def test_unusable_thresholds_are_refused_with_a_stable_id(bad: dict[str, object]) -> None:
    with pytest.raises(GcPolicyError, match=r"^gc_policy\.invalid_threshold: ") as caught:
        GcPolicy(**bad)  # type: ignore[arg-type]
    assert caught.value.error_id == "gc_policy.invalid_threshold"

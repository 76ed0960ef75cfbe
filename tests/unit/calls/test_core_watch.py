"""Which province core the call controller sends through (calls/core_watch.py)."""

from __future__ import annotations

import asyncio

import pytest

from control_plane.calls.core_watch import CoreChoice, CoreWatch
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.sipstack.peer import Peer

A, B = Peer("127.0.10.1", 5060), Peer("127.0.10.2", 5060)


def test_starts_on_core_a_and_stays_while_both_answer() -> None:
    choice = CoreChoice([A, B])
    assert choice.current == A
    for _ in range(10):
        choice.observe(A, True)
        choice.observe(B, True)
        assert choice.choose() is None
    assert choice.current == A


def test_one_missed_answer_is_not_a_death_two_are() -> None:
    choice = CoreChoice([A, B], down_after=2)
    choice.observe(A, False)
    assert choice.is_up(A) and choice.choose() is None
    choice.observe(A, True)  # the count restarts after an answer
    choice.observe(A, False)
    assert choice.choose() is None
    choice.observe(A, False)
    assert not choice.is_up(A)
    assert choice.choose() == B
    assert choice.current == B
    assert choice.choose() is None  # reported once


def test_back_to_a_only_after_enough_answers_in_a_row() -> None:
    choice = CoreChoice([A, B], down_after=2, up_after=3)
    choice.observe(A, False)
    choice.observe(A, False)
    assert choice.choose() == B
    choice.observe(A, True)
    choice.observe(A, True)
    choice.observe(A, False)  # flapping: the count restarts
    choice.observe(A, True)
    choice.observe(A, True)
    assert choice.choose() is None and choice.current == B
    choice.observe(A, True)
    assert choice.choose() == A  # preferred again: traffic goes back where it belongs


def test_b_dying_while_a_is_current_changes_nothing() -> None:
    choice = CoreChoice([A, B])
    choice.observe(B, False)
    choice.observe(B, False)
    assert not choice.is_up(B)
    assert choice.choose() is None and choice.current == A


def test_with_no_core_answering_the_current_one_is_kept() -> None:
    choice = CoreChoice([A, B])
    for _ in range(2):
        choice.observe(A, False)
    assert choice.choose() == B
    for _ in range(2):
        choice.observe(B, False)
    assert choice.choose() is None and choice.current == B
    choice.observe(A, True)  # with up_after=5 one answer is not enough
    assert choice.choose() is None


def test_bad_configuration_gets_a_stable_error_id() -> None:
    with pytest.raises(ValueError, match=r"^core_watch\.no_cores"):
        CoreChoice([])
    with pytest.raises(ValueError, match=r"^core_watch\.bad_threshold"):
        CoreChoice([A, B], down_after=0)
    with pytest.raises(KeyError, match=r"core_watch\.unknown_core"):
        CoreChoice([A]).observe(B, True)


async def test_rounds_apply_a_switch_and_say_so_in_metrics() -> None:
    alive = {A: True, B: True}
    applied: list[Peer] = []

    async def probe(core: Peer) -> bool:
        return alive[core]

    metrics = ControlPlaneMetrics()
    watch = CoreWatch(CoreChoice([A, B], up_after=2), probe, applied.append, metrics=metrics)
    reg = metrics.registry

    def sample(name: str, core: Peer) -> float | None:
        return reg.get_sample_value(name, {"core": f"{core.host}:{core.port}"})

    assert sample("cc_controller_core_current", A) == 1
    assert await watch.round() is None
    alive[A] = False
    assert await watch.round() is None
    assert await watch.round() == B
    assert applied == [B] and watch.switches == [B]
    assert sample("cc_controller_core_up", A) == 0
    assert sample("cc_controller_core_current", B) == 1
    assert sample("cc_controller_core_current", A) == 0
    assert sample("cc_controller_core_switches_total", B) == 1
    alive[A] = True
    assert await watch.round() is None
    assert await watch.round() == A
    assert applied == [B, A]
    assert sample("cc_controller_core_switches_total", A) == 1
    # A second watcher on the same registry (a restarted controller) shares the families.
    again = CoreWatch(CoreChoice([A, B]), probe, applied.append, metrics=metrics)
    assert again.families is watch.families


async def test_a_failing_probe_round_does_not_end_the_watching() -> None:
    calls = 0

    async def probe(core: Peer) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("boom")
        return True

    watch = CoreWatch(CoreChoice([A]), probe, lambda _: None, interval_s=0.01).start()
    try:
        for _ in range(100):
            if calls >= 3:
                break
            await asyncio.sleep(0.01)
        assert calls >= 3
    finally:
        await watch.stop()

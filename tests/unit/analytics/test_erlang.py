"""Erlang B/C against exact and published values; Erlang A against a simulation."""

from __future__ import annotations

import heapq
import math
import random

import pytest

from analytics.forecast import (
    StaffingTarget,
    agents_needed,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_service_level,
    with_shrinkage,
)


def test_exact_small_cases() -> None:
    # C(A, N) = (A^N/N! · N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! · N/(N-A))
    assert erlang_c(2, 3) == pytest.approx(4 / 9)
    assert erlang_c(1, 2) == pytest.approx(1 / 3)
    assert erlang_b(1, 1) == pytest.approx(1 / 2)
    assert erlang_c(5, 5) == 1.0  # unstable: everyone waits


@pytest.mark.parametrize(("n", "p_wait"), [(11, 0.6821), (12, 0.4494), (13, 0.2853),
                                           (14, 0.1741)])
def test_published_table_for_ten_erlangs(n: int, p_wait: float) -> None:
    assert erlang_c(10, n) == pytest.approx(p_wait, abs=1e-4)


def test_service_level_and_asa() -> None:
    # 10 Erlangs, AHT 180 s, 13 agents: SL20 = 1 - 0.28527·e^(-3·20/180)
    assert erlang_c_service_level(10, 13, 180, 20) == pytest.approx(
        1 - 0.285270 * math.exp(-60 / 180), abs=1e-5)
    assert erlang_c_asa(10, 13, 180) == pytest.approx(0.285270 * 180 / 3, abs=1e-3)
    assert erlang_b(10, 10) == pytest.approx(0.2146, abs=1e-4)


def test_agents_for_80_in_20_at_ten_erlangs() -> None:
    # 50 calls in 15 min at 180 s = 10 Erlangs; 13 agents give 79.6 %, so 14 are needed.
    target = StaffingTarget(service_level=0.8, target_s=20, shrinkage=0.3)
    n, sl, _, occ, _ = agents_needed(50, 900, 180, target)
    assert n == 14 and sl >= 0.8 and occ == pytest.approx(10 / 14)
    assert with_shrinkage(n, 0.3) == 20
    assert with_shrinkage(7, 0.3) == 10  # 7 / 0.7 is 10, not 11, despite float noise
    assert agents_needed(0, 900, 180, target)[0] == 0


def test_erlang_a_with_patient_callers_is_erlang_c() -> None:
    for n in (11, 13, 15):
        fig = erlang_a(10 / 180, 180, 1e8, n, 20)
        assert fig.service_level == pytest.approx(erlang_c_service_level(10, n, 180, 20),
                                                  abs=1e-3)
        assert fig.asa_s == pytest.approx(erlang_c_asa(10, n, 180), rel=1e-2)
        assert fig.p_abandon < 1e-4


def test_erlang_a_needs_fewer_agents_when_callers_hang_up() -> None:
    patient = agents_needed(50, 900, 180, StaffingTarget())
    impatient = agents_needed(50, 900, 180, StaffingTarget(patience_s=60))
    assert impatient[0] < patient[0]
    capped = agents_needed(50, 900, 180, StaffingTarget(patience_s=60, max_abandon=0.02))
    assert capped[4] <= 0.02 and capped[0] >= impatient[0]


def _simulate(lam: float, aht: float, patience: float, n: int, t: float, *,
              calls: int, seed: int) -> tuple[float, float]:
    """M/M/N+M by discrete events: (answered within t ÷ all, abandoned ÷ all)."""
    rng = random.Random(seed)
    free_at = [0.0] * n  # heap of times agents become free
    waiting: list[tuple[float, float]] = []  # FIFO (arrival, gives up at)
    clock, within, abandoned = 0.0, 0, 0
    heapq.heapify(free_at)
    for _ in range(calls):
        clock += rng.expovariate(lam)
        waiting.append((clock, clock + rng.expovariate(1 / patience)))
        # serve the FIFO queue with agents freed before the next arrival
        while waiting and free_at[0] <= clock:
            arrival, gives_up = waiting[0]
            start = max(free_at[0], arrival)
            if start > gives_up:
                waiting.pop(0)
                abandoned += 1
                continue
            waiting.pop(0)
            heapq.heapreplace(free_at, start + rng.expovariate(1 / aht))
            within += (start - arrival) <= t
    return within / calls, abandoned / calls


def test_erlang_a_matches_a_simulation() -> None:
    lam, aht, patience, n = 10 / 180, 180.0, 60.0, 10
    fig = erlang_a(lam, aht, patience, n, 20)
    sl, ab = _simulate(lam, aht, patience, n, 20, calls=60_000, seed=7)
    assert fig.service_level == pytest.approx(sl, abs=0.02)
    assert fig.p_abandon == pytest.approx(ab, abs=0.015)

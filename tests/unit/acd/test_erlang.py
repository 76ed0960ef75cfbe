"""The Erlang formulas against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from control_plane.acd.estimators.erlang import (
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    erlang_c_service_level,
)
from control_plane.acd.estimators.rates import DecayingRate
from control_plane.acd.estimators.wait import estimate_wait, miss_probability


def test_erlang_b_and_c_textbook_values() -> None:
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 0.0) == 0.0


def test_erlang_c_service_level_and_mean_wait() -> None:
    # M/M/1, rho 0.5, AHT 60 s: P(W > t) = 0.5 * exp(-(1 - 0.5) t / 60).
    assert erlang_c_service_level(1, 0.5, 60, 20) == pytest.approx(1 - 0.5 * math.exp(-1 / 6))
    assert erlang_c_mean_wait(1, 0.5, 60) == pytest.approx(60.0)
    assert erlang_c_mean_wait(2, 2.0, 60) == math.inf


def test_erlang_a_tends_to_erlang_c_with_infinite_patience() -> None:
    p_wait, p_abandon = erlang_a(3, 2.0 / 60, 60, 1e9)
    assert p_wait == pytest.approx(4 / 9, rel=1e-4)
    assert p_abandon < 1e-6
    # Impatient callers: fewer wait, some leave; overload stays finite.
    p_wait2, p_abandon2 = erlang_a(3, 4.0 / 60, 60, 30)
    assert 0 < p_abandon2 < 1 and 0 < p_wait2 < 1


def test_wait_estimate_is_a_gamma_with_a_band() -> None:
    est = estimate_wait(3, servers=2, aht_s=120)
    assert est.expected_s == pytest.approx(180.0)
    assert est.low_s < est.expected_s < est.high_s
    assert estimate_wait(0, 2, 120).expected_s == 0.0
    assert estimate_wait(1, 0, 120).expected_s == math.inf


def test_miss_probability_rises_with_backlog_and_load() -> None:
    calm = miss_probability(1 / 60, 120, 5, 20, 0)
    busy = miss_probability(2 / 60, 120, 5, 20, 0)
    backlog = miss_probability(1 / 60, 120, 5, 20, 10)
    assert 0 <= calm < busy < 1 and backlog > 0.9
    assert miss_probability(1, 120, 0, 20, 0) == 1.0


def test_decaying_rate_tracks_a_steady_rate() -> None:
    rate = DecayingRate(horizon_s=600)
    for i in range(3600):
        rate.observe(float(i) * 2)  # one call every 2 s
    assert rate.rate(7200) == pytest.approx(0.5, rel=0.05)
    assert DecayingRate().rate(10) == 0.0

"""The simulator against Erlang C and Erlang A, and as a strategy-comparison tool.

Run lengths are chosen for statistical adequacy: at load 1.5 on 3 agents the P(wait)
estimate over ~45,000 calls has a standard error near 0.3 percentage points, and the M/M/n+M
run (~40,000 calls) near 0.5 points for abandonment, so the 2-point tolerances are several
standard errors wide while a wrong engine (e.g. LIFO, idle agents left idle, lost calls)
misses them by far.
"""

from __future__ import annotations

import json

import pytest

from control_plane.acd.estimators.erlang import erlang_a, erlang_c, erlang_c_service_level
from control_plane.acd.sim import generate_arrivals, simulate
from control_plane.acd.sim.__main__ import main
from control_plane.acd.sim.scenarios import office, single_queue


def test_one_queue_fifo_matches_erlang_c() -> None:
    agents, aht, load = 3, 30.0, 1.5
    scenario = single_queue(agents, load / aht * 3600, aht, hours=250, seed=4)
    report = simulate(scenario).queues["q"]
    assert report.offered > 40_000
    assert report.abandoned == 0 and report.other == 0
    assert abs(report.p_wait - erlang_c(agents, load)) < 0.02
    assert abs(report.service_level - erlang_c_service_level(agents, load, aht, 20)) < 0.02
    assert report.aht_s == pytest.approx(aht, rel=0.03)


def test_one_queue_with_impatient_callers_is_close_to_erlang_a() -> None:
    agents, aht, load, patience = 5, 60.0, 4.5, 120.0
    scenario = single_queue(agents, load / aht * 3600, aht, hours=150, seed=4,
                            mean_patience_s=patience)
    report = simulate(scenario).queues["q"]
    p_wait, p_abandon = erlang_a(agents, load / aht, aht, patience)
    assert abs(report.abandonment - p_abandon) < 0.015
    assert abs(report.p_wait - p_wait) < 0.02


def test_strategies_compare_on_identical_traffic_and_runs_repeat() -> None:
    scenario = office(queues=3, agents=20, hours=4, seed=9)
    arrivals = generate_arrivals(scenario)
    a = simulate(scenario, "longest-idle", arrivals=arrivals)
    b = simulate(scenario, "best-match", arrivals=arrivals)
    assert a.total.offered == b.total.offered == len(arrivals)
    assert a.strategy == "longest-idle" and b.strategy == "best-match"
    assert simulate(scenario, "longest-idle", arrivals=arrivals) == a
    assert 0 < a.total.occupancy < 1 and 0 < a.total.service_level <= 1


def test_command_line_prints_a_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--hours", "2", "--agents", "12", "--queues", "2", "--compare", "random",
                 "--json", "--no-progress"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["strategy"] for r in reports] == ["longest-idle", "random"]
    assert set(reports[0]["queues"]) == {"q0", "q1"}

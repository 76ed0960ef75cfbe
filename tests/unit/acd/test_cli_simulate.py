"""`callcenter simulate` hands its arguments to the ACD simulator untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def callcenter(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "control_plane", *args], cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )


def test_help_is_the_simulators_own() -> None:
    out = callcenter("simulate", "--help")
    assert out.returncode == 0, out.stderr
    assert "usage: callcenter simulate" in out.stdout
    assert "--compare" in out.stdout and "--strategy" in out.stdout


def test_a_tiny_simulation_reports_per_strategy_figures() -> None:
    out = callcenter("simulate", "--scenario", "single", "--agents", "3", "--hours", "0.25",
                     "--calls-per-hour", "30", "--seed", "5", "--no-progress", "--json",
                     "--strategy", "longest-idle", "--compare", "round-robin")
    assert out.returncode == 0, out.stderr
    reports = json.loads(out.stdout)
    assert [r["strategy"] for r in reports] == ["longest-idle", "round-robin"]
    total = reports[0]["total"]
    assert total["offered"] > 0
    assert 0.0 <= total["service_level"] <= 1.0


def test_bad_options_exit_with_the_simulators_usage_error() -> None:
    out = callcenter("simulate", "--strategy", "no-such-strategy")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr

"""The benchmark report and the soak's verdict: pure functions over figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loadtests.bench_all import last_json_object
from loadtests.report import markdown, row_dicts, rows_for
from loadtests.soak import measured_rate, verdict, warm_up_s
from loadtests.soak_memory import growth_pct


def test_last_json_object_takes_only_a_json_object_on_the_last_line() -> None:
    assert last_json_object(["x", '{"a": 1}', "", "  "]) == {"a": 1}
    assert last_json_object(['{"a": 1}', "done"]) is None
    assert last_json_object(['{"a": 1}', "[1, 2]"]) is None
    assert last_json_object([]) is None


def test_call_rows_put_each_figure_beside_its_baseline_and_judge_targets() -> None:
    rows = {r.figure: r for r in rows_for("call", {
        "bare_cps": 400.0, "call_cps": 40.0, "setup_p99_ms": 1200.0,
        "concurrent_rtp_calls": 300, "ledger_lost": 2, "ledger_placed": 10})}
    assert rows["call_cps"].baseline == 400.0
    assert rows["call_cps"].ratio == 0.1
    assert rows["call_cps"].verdict == ""  # a plain baseline has no verdict
    assert rows["setup_p99_ms"].verdict == "missed"  # over the 1,000 ms bound
    assert rows["concurrent_rtp_calls"].verdict == "met"
    assert rows["ledger_lost"].verdict == "missed"
    assert rows["rtp_loss_pct"].value is None  # a missing figure stays visible, no verdict
    assert rows["rtp_loss_pct"].verdict == ""


def test_acd_growth_rows_compare_every_size_with_100_agents() -> None:
    rows = rows_for("acd", {"acd_growth": {"100": 80_000, "10000": 40_000}})
    growth = [r for r in rows if r.figure.startswith("acd_decisions_per_s@")]
    assert [(r.figure, r.ratio) for r in growth] == [("acd_decisions_per_s@10000", 0.5)]


def _report(areas: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    machine = {"cores": 2, "mem_total_mb": 24_000, "mem_available_mb_before": 20_000,
               "mem_available_mb_after": 19_000, "loadavg_before": [1.0, 2.0, 3.0],
               "loadavg_after": [4.0, 5.0, 6.0], "python": "3.11", "kernel": "6.1"}
    return {"stamp": "T", "machine": machine, "areas": areas, "rows": rows}


def test_markdown_lists_a_failed_area_with_its_reason() -> None:
    ok = {"area": "sip", "status": "ok", "reason": "", "seconds": 1.0, "load_before": 1.0,
          "load_after": 2.0}
    failed = {**ok, "area": "api", "status": "failed",
              "reason": "BENCH_AREA_FAILED: exit code 2; last line: boom"}
    rows = row_dicts(rows_for("sip", {"bare_cps": 100.0, "tier_cps": 20.0}))
    text = markdown(_report([ok, failed], rows))
    assert "| sip | tier_cps | 20 | calls/s | baseline: bare one-hop" in text
    assert "| x0.2 |" in text
    assert "| api | FAILED | — | — | BENCH_AREA_FAILED: exit code 2; last line: boom" in text
    assert "1.0 / 2.0 / 3.0 before, 4.0 / 5.0 / 6.0 after" in text


def test_soak_rate_is_half_the_newest_bench_call_result(tmp_path: Path) -> None:
    assert measured_rate(tmp_path)[0] == 4.0  # none: the conservative default
    (tmp_path / "call-20260101T000000.json").write_text(json.dumps({"call_cps": 30.0}))
    (tmp_path / "call-20260102T000000.json").write_text(json.dumps({"call_cps": 25.0}))
    (tmp_path / "call-20260103T000000.json").write_text("{broken")
    rate, why = measured_rate(tmp_path)
    assert rate == 12.5
    assert "call-20260102T000000.json" in why
    (tmp_path / "call-20260104T000000.json").write_text(json.dumps({"call_cps": 0.0}))
    assert measured_rate(tmp_path)[0] == 4.0  # the last run sustained nothing


def test_soak_fails_on_a_lost_call_a_duplicate_or_memory_growth() -> None:
    clean = {"lost": 0, "duplicated": 0, "calls_placed": 10,
             "rss_growth_pct": {"prov-a": 4.9, "rtpengine": -3.0}}
    assert verdict(clean) == []
    assert verdict({**clean, "lost": 1})[0].startswith("SOAK_LEDGER")
    assert verdict({**clean, "duplicated": 1})[0].startswith("SOAK_LEDGER")
    assert verdict({**clean, "calls_placed": 0})[0].startswith("SOAK_NO_CALLS")
    grown = verdict({**clean, "rss_growth_pct": {"prov-a": 5.1}})
    assert grown and grown[0].startswith("SOAK_MEMORY_GROWTH")


def test_memory_growth_is_per_daemon_and_warm_up_is_bounded() -> None:
    before = {"a": {"rss_mb": 100.0}, "b": {"rss_mb": 50.0}, "gone": {"rss_mb": 1.0}}
    after = {"a": {"rss_mb": 106.0}, "b": {"rss_mb": 45.0}}
    assert growth_pct(before, after, "rss_mb") == {"a": 6.0, "b": -10.0}
    assert warm_up_s(180) == 45.0
    assert warm_up_s(600) == 120.0
    assert warm_up_s(3600) == 120.0

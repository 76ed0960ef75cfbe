"""``make bench``: every per-area benchmark in one go, then one report.

Each area is its own make target (``bench-acd``, ``bench-sip``, ``bench-call``,
``bench-api``, ``bench-analytics``), run here as a subprocess exactly as ``make`` would run
it; its output streams through, and its last line of output must be one JSON object (its
figures). The run writes ``loadtests/results/<timestamp>.json`` (every area's figures, the
report rows, the machine) and ``loadtests/results/<timestamp>.md`` (the table: every figure
beside its baseline, target or bound, see ``loadtests/report.py``).

An area that exits non-zero, prints no JSON last, or runs past its time limit is reported as
failed with the reason (``BENCH_AREA_FAILED``), the other areas still run, and the command
exits 1 at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.report import markdown, row_dicts, rows_for

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "loadtests" / "results"
AREAS = ("acd", "sip", "call", "api", "analytics")
DEFAULT_AREA_TIMEOUT_S = 3600.0


@dataclass
class AreaRun:
    """What one per-area target did."""

    area: str
    status: str  # "ok" or "failed"
    reason: str
    seconds: float
    load_before: float
    load_after: float
    figures: dict[str, Any]
    tail: list[str]


def last_json_object(lines: list[str]) -> dict[str, Any] | None:
    """The last non-empty line as a JSON object, or None when it is not one."""
    for line in reversed(lines):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None
    return None


def run_area(area: str, timeout_s: float) -> AreaRun:
    """``make bench-<area>``, its output streamed through; its figures or why there are
    none."""
    load_before = round(os.getloadavg()[0], 2)
    start = time.monotonic()
    print(f"==> make bench-{area} (load {load_before})", flush=True)
    tail: deque[str] = deque(maxlen=40)
    lines: list[str] = []
    proc = subprocess.Popen(["make", "-s", "--no-print-directory", f"bench-{area}"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    assert proc.stdout is not None
    # A silent hang must end too: the watchdog kills the area at its time limit.
    watchdog = threading.Timer(timeout_s, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            tail.append(line.rstrip("\n"))
            lines.append(line)
        code = proc.wait()
    finally:
        watchdog.cancel()
    timed_out = time.monotonic() - start >= timeout_s and code != 0
    seconds = time.monotonic() - start
    figures = last_json_object([x.rstrip("\n") for x in lines[-5:]])
    reason = ""
    if timed_out:
        reason = f"BENCH_AREA_FAILED: ran past {timeout_s:.0f} s and was stopped"
    elif code != 0:
        last = next((x for x in reversed(tail) if x.strip()), "no output")
        reason = f"BENCH_AREA_FAILED: exit code {code}; last line: {last[:300]}"
    elif figures is None:
        reason = "BENCH_AREA_FAILED: its last line of output is not one JSON object"
    status = "failed" if reason else "ok"
    print(f"==> bench-{area}: {status} in {seconds:.0f} s{(' — ' + reason) if reason else ''}",
          flush=True)
    return AreaRun(area, status, reason, round(seconds, 1), load_before,
                   round(os.getloadavg()[0], 2), figures or {}, list(tail)[-10:])


def _meminfo() -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, rest = line.partition(":")
        out[key] = int(rest.split()[0]) // 1024
    return out


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(areas: list[str], timeout_s: float, out: Path) -> tuple[dict[str, Any], Path, Path]:
    """Run ``areas`` in order; write and return the report."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    machine: dict[str, Any] = {
        "cores": os.cpu_count(), "mem_total_mb": _meminfo()["MemTotal"],
        "mem_available_mb_before": _meminfo()["MemAvailable"],
        "loadavg_before": _loadavg(), "python": platform.python_version(),
        "kernel": platform.release(),
    }
    runs = [run_area(area, timeout_s) for area in areas]
    machine["loadavg_after"] = _loadavg()
    machine["mem_available_mb_after"] = _meminfo()["MemAvailable"]
    rows = [row for r in runs if r.status == "ok" for row in rows_for(r.area, r.figures)]
    report: dict[str, Any] = {
        "stamp": stamp, "machine": machine,
        "areas": [{"area": r.area, "status": r.status, "reason": r.reason,
                   "seconds": r.seconds, "load_before": r.load_before,
                   "load_after": r.load_after,
                   **({"output_tail": r.tail} if r.status != "ok" else {})} for r in runs],
        "figures": {r.area: r.figures for r in runs if r.status == "ok"},
        "rows": row_dicts(rows),
    }
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{stamp}.json", out / f"{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(report), encoding="utf-8")
    return report, json_path, md_path


def main() -> int:
    """Entry point: ``python -m loadtests.bench_all [--areas acd,sip,...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--areas", default=os.environ.get("BENCH_AREAS", ",".join(AREAS)),
                        help=f"comma-separated, in order (default {','.join(AREAS)})")
    parser.add_argument("--area-timeout", type=float, default=DEFAULT_AREA_TIMEOUT_S,
                        help="seconds one area may run before it is stopped and failed")
    args = parser.parse_args()
    areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    unknown = [a for a in areas if a not in AREAS]
    if unknown or not areas:
        print(f"BENCH_UNKNOWN_AREA: {unknown or 'none given'}; known: {', '.join(AREAS)}",
              file=sys.stderr)
        return 2
    report, json_path, md_path = run(areas, args.area_timeout, RESULTS)
    print(md_path.read_text(encoding="utf-8"))
    print(f"report: {json_path} and {md_path}")
    failed = [a["area"] for a in report["areas"] if a["status"] != "ok"]
    print(json.dumps({"report": str(json_path), "areas": len(areas), "failed": failed,
                      "loadavg_before": report["machine"]["loadavg_before"],
                      "loadavg_after": report["machine"]["loadavg_after"]}))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

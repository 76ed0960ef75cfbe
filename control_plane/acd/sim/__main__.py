"""`python -m control_plane.acd.sim`: run a scenario, or compare two strategies on it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from control_plane.acd.sim.report import as_dict, format_reports
from control_plane.acd.sim.scenarios import office, single_queue
from control_plane.acd.sim.simulator import SimReport, simulate
from control_plane.acd.sim.traffic import generate_arrivals
from control_plane.acd.strategies import STRATEGIES


def progress_bar(label: str) -> Callable[[float], None]:
    """A progress printer on stderr, redrawn in place."""
    shown = [-1]
    live = sys.stderr.isatty()

    def show(fraction: float) -> None:
        percent = int(fraction * 100)
        # Redraw only on a new percent; off a terminal print just the finished bar.
        if percent == shown[0] or (not live and percent < 100):
            return
        shown[0] = percent
        filled = percent * 30 // 100
        sys.stderr.write(f"\r{label:>20} [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}%")
        if percent >= 100:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="callcenter simulate", description=__doc__)
    p.add_argument("--scenario", choices=("office", "single"), default="office")
    p.add_argument("--strategy", choices=sorted(STRATEGIES), default="longest-idle")
    p.add_argument("--compare", choices=sorted(STRATEGIES), help="a second strategy, same traffic")
    p.add_argument("--queues", type=int, default=4)
    p.add_argument("--agents", type=int, default=40)
    p.add_argument("--hours", type=float, default=8.0)
    p.add_argument("--calls-per-hour", type=float, default=30.0)
    p.add_argument("--handle-s", type=float, default=180.0, help="single: mean handle time")
    p.add_argument("--patience-s", type=float, default=None, help="single: mean patience")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; returns the process exit code."""
    args = parse(argv)
    if args.scenario == "single":
        scenario = single_queue(args.agents, args.calls_per_hour, args.handle_s,
                                hours=args.hours, seed=args.seed,
                                mean_patience_s=args.patience_s)
    else:
        scenario = office(args.queues, args.agents, hours=args.hours, seed=args.seed,
                          calls_per_hour=args.calls_per_hour)
    arrivals = generate_arrivals(scenario)
    reports: list[SimReport] = []
    for strategy in [args.strategy] + ([args.compare] if args.compare else []):
        bar = None if args.no_progress else progress_bar(strategy)
        reports.append(simulate(scenario, strategy, bar, arrivals))
    if args.json:
        print(json.dumps([as_dict(r) for r in reports], indent=2))
    else:
        print(f"{len(arrivals)} calls, {len(scenario.agents)} agents, {args.hours:g} h, "
              f"seed {args.seed}")
        print(format_reports(reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

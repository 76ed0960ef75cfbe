"""Plain-text tables of simulation reports, one strategy or two side by side."""

from __future__ import annotations

from control_plane.acd.sim.simulator import QueueReport, SimReport

_COLUMNS = ("queue", "offered", "SL", "P(wait)", "ASA s", "AHT s", "aband.", "occup.")


def _row(strategy: str, q: QueueReport) -> list[str]:
    return [
        strategy, q.queue, str(q.offered), f"{q.service_level:.1%}", f"{q.p_wait:.1%}",
        f"{q.asa_s:.1f}", f"{q.aht_s:.1f}", f"{q.abandonment:.1%}", f"{q.occupancy:.1%}",
    ]


def format_reports(reports: list[SimReport]) -> str:
    """A table with one row per (strategy, queue) and a total row per strategy."""
    rows = [["strategy", *_COLUMNS]]
    for report in reports:
        for name in sorted(report.queues):
            rows.append(_row(report.strategy, report.queues[name]))
        rows.append(_row(report.strategy, report.total))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def as_dict(report: SimReport) -> dict[str, object]:
    """JSON-ready figures of one run."""
    def fig(q: QueueReport) -> dict[str, float | int | str]:
        return {
            "offered": q.offered, "answered": q.answered, "abandoned": q.abandoned,
            "other": q.other, "service_level": q.service_level, "p_wait": q.p_wait,
            "asa_s": q.asa_s, "aht_s": q.aht_s, "abandonment": q.abandonment,
            "occupancy": q.occupancy,
        }

    return {
        "strategy": report.strategy,
        "queues": {name: fig(q) for name, q in sorted(report.queues.items())},
        "total": fig(report.total),
        "decisions": report.decisions,
        "events": report.events,
    }

"""The benchmark report: every figure of one ``make bench`` run beside its baseline.

A *baseline* is a figure measured in the same run (the bare one-hop Kamailio, raw rows, the
100-agent ACD), a *target* is what an issue asks for, a *bound* is the limit a ramp step had
to stay under. Ratios are figure / baseline; "met" says whether a target or bound holds
(``higher`` says which way is better). A figure without any of the three says so instead of
standing alone. Areas that failed are rows of their own, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One figure of the report."""

    area: str
    figure: str
    value: float | None
    unit: str
    against: str  # what the baseline is ("baseline: …", "target", "bound", or why none)
    baseline: float | None
    higher: bool | None  # True: higher is better; None: no verdict (a plain baseline)
    kind: str  # "baseline", "target", "bound" or "none"

    @property
    def ratio(self) -> float | None:
        """figure / baseline, when both exist and the baseline is not zero."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        """"met"/"missed" against a target or bound; "" for plain baselines."""
        if self.value is None or self.baseline is None or self.higher is None:
            return ""
        ok = self.value >= self.baseline if self.higher else self.value <= self.baseline
        return "met" if ok else "missed"


def _num(figures: Mapping[str, Any], key: str) -> float | None:
    value = figures.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


class _Rows:
    """Collects rows for one area from its figures."""

    def __init__(self, area: str, figures: Mapping[str, Any]) -> None:
        self.area, self.figures, self.rows = area, figures, list[Row]()

    def vs(self, key: str, unit: str, base_key: str, *, label: str = "") -> None:
        """``key`` against the same-run figure ``base_key``."""
        self.rows.append(Row(self.area, key, _num(self.figures, key), unit,
                             f"baseline: {label or base_key}", _num(self.figures, base_key),
                             None, "baseline"))

    def target(self, key: str, unit: str, target: float, *, higher: bool,
               kind: str = "target", note: str = "") -> None:
        """``key`` against a fixed target or bound."""
        self.rows.append(Row(self.area, key, _num(self.figures, key), unit,
                             f"{kind}{': ' + note if note else ''}", target, higher, kind))

    def derived(self, name: str, value: float | None, unit: str, against: str,
                baseline: float | None) -> None:
        """A figure computed from others, against a same-run baseline."""
        self.rows.append(Row(self.area, name, value, unit, f"baseline: {against}", baseline,
                             None, "baseline"))

    def alone(self, key: str, unit: str, why: str) -> None:
        """A figure with no baseline in this run; ``why`` says so in the table."""
        self.rows.append(Row(self.area, key, _num(self.figures, key), unit, why, None, None,
                             "none"))


def sip_rows(f: Mapping[str, Any]) -> list[Row]:
    """bench-sip: the tiers against the bare proxy; the storm against sustained REGISTER/s."""
    r = _Rows("sip", f)
    r.vs("tier_cps", "calls/s", "bare_cps", label="bare one-hop Kamailio calls/s")
    r.vs("reg_per_s", "REGISTER/s", "bare_reg_per_s", label="bare one-hop REGISTER/s")
    r.target("tier_setup_p95_ms", "ms", 500.0, higher=False, kind="bound",
             note="a ramp step's p95")
    seats, seconds = _num(f, "reg_storm_seats"), _num(f, "reg_storm_seconds")
    storm = seats / seconds if seats and seconds else None
    r.derived("reg_storm_seats_per_s", storm, "REGISTER/s",
              "sustained REGISTER/s through the tiers", _num(f, "reg_per_s"))
    r.target("reg_storm_failed", "seats", 0.0, higher=False, note="none")
    return r.rows


def call_rows(f: Mapping[str, Any]) -> list[Row]:
    """bench-call: the full call path against the bare proxy, RTP against the target."""
    r = _Rows("call", f)
    r.vs("call_cps", "calls/s", "bare_cps", label="bare one-hop Kamailio calls/s")
    r.target("setup_p99_ms", "ms", 1000.0, higher=False, kind="bound",
             note="INVITE -> seat rings, p99 of a ramp step")
    r.vs("controller_added_p99_ms", "ms", "setup_p99_ms", label="whole setup p99")
    r.target("concurrent_rtp_calls", "calls", 300.0, higher=True, note="issue #5")
    r.target("rtp_loss_pct", "%", 1.0, higher=False, kind="bound")
    r.vs("controller_rss_mb_per_100_calls", "MB", "controller_rss_mb_before",
         label="controller RSS before the calls")
    r.target("ledger_lost", "calls", 0.0, higher=False,
             note=f"of {f.get('ledger_placed', '?')} placed")
    r.target("ledger_duplicated", "calls", 0.0, higher=False)
    return r.rows


def acd_rows(f: Mapping[str, Any]) -> list[Row]:
    """bench-acd: issue #3's targets, and each size against 100 agents."""
    r = _Rows("acd", f)
    r.target("acd_decisions_per_s", "decisions/s", 50_000, higher=True, note="issue #3")
    r.target("acd_p99_us", "µs", 100.0, higher=False, note="issue #3")
    r.target("acd_rss_mb", "MB", 150.0, higher=False, note="issue #3")
    growth = f.get("acd_growth")
    if isinstance(growth, Mapping) and "100" in growth:
        for size, rate in growth.items():
            if size != "100":
                r.derived(f"acd_decisions_per_s@{size}", float(rate), "decisions/s",
                          "decisions/s at 100 agents", float(growth["100"]))
    return r.rows


def api_rows(f: Mapping[str, Any]) -> list[Row]:
    """bench-api: one process alone (bounds and zero failures), two replicas on Redis against
    the one process of the same run (requests/s, p99, fan-out) and the same bounds."""
    r = _Rows("api", f)
    why = "none: the one-process baseline of the _2_replicas rows"
    r.alone("api_rps", "req/s", why)
    r.target("api_p99_ms", "ms", 500.0, higher=False, kind="bound",
             note="the SIP ramps' interactive bound")
    r.target("api_failures", "requests", 0.0, higher=False)
    r.alone("ws_fanout_msgs_per_s", "msgs/s", why)
    r.target("ws_lagged", "events", 0.0, higher=False)
    one = "one process, same run"
    r.vs("api_rps_2_replicas", "req/s", "api_rps", label=f"{one}, req/s")
    r.vs("api_p99_ms_2_replicas", "ms", "api_p99_ms", label=f"{one}, p99")
    r.target("api_p99_ms_2_replicas", "ms", 500.0, higher=False, kind="bound",
             note="the SIP ramps' interactive bound")
    r.target("api_failures_2_replicas", "requests", 0.0, higher=False)
    r.vs("ws_fanout_msgs_per_s_2_replicas", "msgs/s", "ws_fanout_msgs_per_s",
         label=f"{one}, fan-out")
    r.target("ws_lagged_2_replicas", "events", 0.0, higher=False)
    return r.rows


def analytics_rows(f: Mapping[str, Any]) -> list[Row]:
    """bench-analytics: rollups against raw rows, ingest against issue #7's target."""
    r = _Rows("analytics", f)
    rows = _num(f, "rows")
    r.alone("rows", "rows", "size of the dashboard's data set (chDB)")
    r.vs("dashboard_p95_ms", "ms", "raw_p95_ms", label="same question on raw rows (chDB)")
    r.vs("dashboard_p50_ms", "ms", "raw_p50_ms", label="same question on raw rows (chDB)")
    r.vs("league_p95_ms", "ms", "league_raw_p95_ms", label="agent league on raw rows (chDB)")
    r.vs("server_dashboard_p95_ms", "ms", "server_raw_p95_ms",
         label=f"same question on raw rows (server, {f.get('server_rows', '?')} rows)")
    size = "100M rows" if rows == 100_000_000 else f"at {f.get('rows', '?')} rows, not 100M"
    r.target("dashboard_p95_ms", "ms", 50.0, higher=False, note=f"issue #7 ({size})")
    r.vs("ingest_rows_per_s_chdb", "rows/s", "ingest_rows_per_s_chdb_per_event",
         label="one mapping per event (chDB)")
    r.vs("ingest_rows_per_s_chdb", "rows/s", "engine_rows_per_s_chdb",
         label="the engine alone, same rows and batches (chDB)")
    r.vs("ingest_rows_per_s_server", "rows/s", "engine_rows_per_s_server",
         label="the engine alone, same rows and batches (server)")
    r.target("ingest_rows_per_s_chdb", "rows/s", 200_000, higher=True, note="issue #7")
    r.target("ingest_rows_per_s_server", "rows/s", 200_000, higher=True, note="issue #7")
    for name in ("chdb", "server"):
        r.alone(f"ingest_cpu_s_per_100k_{name}", "CPU s",
                "none: CPU s per 100k rows, block path (sink process + server); less load-bound")
    return r.rows


BUILDERS = {"acd": acd_rows, "sip": sip_rows, "call": call_rows, "api": api_rows,
            "analytics": analytics_rows}


def rows_for(area: str, figures: Mapping[str, Any]) -> list[Row]:
    """The report rows of one area's figures."""
    return BUILDERS[area](figures)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def markdown(run: Mapping[str, Any]) -> str:
    """The report as markdown: machine, areas, then every figure with its baseline."""
    m = run["machine"]
    lines = [f"# Benchmark report {run['stamp']}", "",
             f"Machine: {m['cores']} cores, {m['mem_total_mb']:,} MB RAM "
             f"({m['mem_available_mb_before']:,} MB available at start, "
             f"{m['mem_available_mb_after']:,} at the end); load average (1/5/15 min) "
             f"{' / '.join(str(x) for x in m['loadavg_before'])} before, "
             f"{' / '.join(str(x) for x in m['loadavg_after'])} after. "
             f"Python {m['python']}, {m['kernel']}. The machine is shared: a figure is only "
             "as good as the load beside it.", "",
             "| area | status | seconds | load 1m before → after | reason |",
             "|---|---|---:|---|---|"]
    for a in run["areas"]:
        lines.append(f"| {a['area']} | {a['status']} | {a['seconds']:.0f} | "
                     f"{a['load_before']} → {a['load_after']} | {a['reason'] or ''} |")
    lines += ["", "| area | figure | value | unit | against | baseline | ratio | verdict |",
              "|---|---|---:|---|---|---:|---:|---|"]
    for row in run["rows"]:
        ratio = row["ratio"]
        lines.append(
            f"| {row['area']} | {row['figure']} | {_fmt(row['value'])} | {row['unit']} | "
            f"{row['against']} | {_fmt(row['baseline'])} | "
            f"{'—' if ratio is None else f'x{ratio:.3g}'} | {row['verdict']} |")
    failed = [a for a in run["areas"] if a["status"] != "ok"]
    for a in failed:
        lines.append(f"| {a['area']} | FAILED | — | — | {a['reason']} | — | — | failed |")
    return "\n".join(lines) + "\n"


def row_dicts(rows: list[Row]) -> list[dict[str, Any]]:
    """Rows as JSON objects, with their ratio and verdict."""
    return [{**asdict(r), "ratio": None if r.ratio is None else round(r.ratio, 4),
             "verdict": r.verdict} for r in rows]

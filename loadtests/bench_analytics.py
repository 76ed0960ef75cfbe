"""Analytics benchmark: sink ingest on chDB and the 18.16 server, rollup vs raw queries.

    .venv/bin/python -m loadtests.bench_analytics [--rows N] [--dashboard-rows M] [--queries Q]

Events go through the whole sink path (validation, spool with fsync, batched inserts),
once as one mapping per event (``emit_many``) and once as column blocks (``emit_block``).
Same-run baselines for ingest: the per-event path, and the engine alone (the same rows,
already validated and encoded, inserted in the sink's batches with no spool): the ceiling
the sink can reach on the machine at that moment. The machine is shared, so the 1-minute
load average is recorded before and after, and the block path's CPU seconds per 100k rows.
Dashboard figures come from a data set of ``--dashboard-rows`` rows (100M by default)
generated inside chDB by ``loadtests.bench_analytics_data`` and kept under var/ between
runs: the daily queue KPIs of one tenant over 30 days, answered from the 15-minute rollup
and, for comparison, from raw rows, in the same run; so is the agent league's question (a
month per agent over every queue: ``agent_15m`` vs raw). The BI dashboard's other views
(hourly trends, SL heatmap, abandonment curve, agent league; the staffing forecast only
with ``--staffing-runs``) are timed through their own functions on the same data. The
server's rollup-vs-raw pair runs on the rows its sink phase wrote. The last line of output
is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.kpis import DEFAULT_TZ, Dimension, Grain, KpiQuery, Source, queue_kpis
from analytics.schema.migrations import migrate
from analytics.schema.tables import QUEUE_CALLS
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.blocks import validate_block
from analytics.sink.writer import EventSink

DAYS = 30
START = datetime(2026, 2, 1, tzinfo=UTC) - timedelta(hours=8)  # Shanghai midnight


def generate(rows: int, seed: int = 1) -> Iterator[dict[str, object]]:
    """Queue-call segments over 30 days, 5 tenants, 20 queues, 200 agents, in time order.

    A sink receives segments as they end, so a batch holds minutes to days of traffic, not
    a random sample of the month (which made each insert touch a rollup row per event and
    cost the engine 5x more: the old generator's order). Within a few minutes the order is
    shuffled, as segments of different lengths end out of order.
    """
    rng = random.Random(seed)
    span = DAYS * 86400
    t0 = int(START.timestamp())
    for n in range(rows):
        answered = rng.random() < 0.85
        wait = int(rng.expovariate(1 / 25_000))
        yield {
            "event_id": f"b{n:010d}", "tenant": f"tenant{n % 5}", "queue": f"q{n % 20}",
            "skill": f"s{n % 7}", "call_id": f"call{n}", "caller_key": f"k{rng.randrange(10**6)}",
            "enqueued_at": min(t0 + span - 1, t0 + n * span // rows + rng.randrange(300)),
            "outcome": "answered" if answered else "abandoned", "wait_ms": min(wait, 600_000),
            "talk_ms": int(rng.lognormvariate(11.9, 0.5)) if answered else 0,
            "wrap_ms": 15_000 if answered else 0,
            "agent": f"a{rng.randrange(200)}" if answered else "",
        }


async def ingest(backend: AnalyticsBackend, spool: Path, rows: int, *, blocks: bool,
                 server_pid: int | None = None) -> tuple[float, float]:
    """Rows per second through the sink, from first emit to last insert, and the CPU
    seconds spent meanwhile by this process (and by the server at ``server_pid``).

    ``blocks``: events handed over as 10k-row column blocks (``emit_block``) rather than
    one mapping each (``emit_many``).
    """
    sink = EventSink(backend, spool)
    await sink.start()
    await sink.flush()  # the schema is created before the clock starts
    # Generated before the clock starts: the figure is the sink's, not the generator's.
    events = list(generate(rows))
    chunks = [events[i:i + 10_000] for i in range(0, rows, 10_000)]
    columnar = [{k: [e[k] for e in chunk] for k in chunk[0]} for chunk in chunks] \
        if blocks else []
    began, cpu = time.perf_counter(), _cpu_total(server_pid)
    if blocks:
        for block in columnar:
            await sink.emit_block("queue_calls", block)
    else:
        for chunk in chunks:
            await sink.emit_many(("queue_calls", e) for e in chunk)
    await sink.flush(within_s=3600)
    elapsed = time.perf_counter() - began
    used = _cpu_total(server_pid) - cpu
    await sink.close()
    return rows / elapsed, used


def settle(backend: AnalyticsBackend, within_s: float = 120.0) -> None:
    """Wait (bounded) until the engine has no merge running: each timed phase starts on a
    quiet engine instead of paying for the previous phase's merges (chDB merges in this
    process, on the same two cores)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not int(str(backend.query("SELECT count() FROM system.merges")[0][0])):
            return
        time.sleep(0.5)


def engine_only(backend: AnalyticsBackend, rows: int, batch_rows: int = 100_000, *,
                raw_only: bool = False) -> float:
    """Rows per second of the engine alone: the bench rows as 10k-row JSON blocks (encoded
    before the clock starts), inserted ``batch_rows`` at a time as the sink does.

    ``raw_only``: into a copy of ``queue_calls`` with no rollup views (a database of its
    own named after ``backend.database``): what the views cost is the difference.
    """
    if raw_only:
        source = backend.database
        backend.database = f"{source}_raw"
        migrate(backend, source, backend.dialect)
        backend.execute(f"CREATE DATABASE IF NOT EXISTS {backend.database}")
        backend.execute(f"CREATE TABLE IF NOT EXISTS {backend.database}.queue_calls"
                        f" AS {source}.queue_calls")
    else:
        migrate(backend, backend.database, backend.dialect)
    events = list(generate(rows))
    blocks = []
    for i in range(0, rows, 10_000):
        chunk = events[i:i + 10_000]
        block = validate_block("queue_calls", {k: [e[k] for e in chunk] for k in chunk[0]})
        blocks.append((block.to_json(), block.rows))
    per_insert = max(1, batch_rows // 10_000)
    began = time.perf_counter()
    for n, i in enumerate(range(0, len(blocks), per_insert)):
        backend.insert_blocks(QUEUE_CALLS, blocks[i:i + per_insert], 1 + n)
    return rows / (time.perf_counter() - began)


def query_latencies(backend: AnalyticsBackend, source: Source, n: int, *,
                    by: Dimension = Dimension.QUEUE) -> list[float]:
    """Milliseconds of n KPI questions over 30 days for one tenant: daily per queue, or
    (``by`` agent) the league's question, monthly per agent over every queue."""
    out = []
    grain = Grain.DAY if by is Dimension.QUEUE else Grain.MONTH
    for i in range(n):
        q = KpiQuery(f"tenant{i % 5}", START, START + timedelta(days=DAYS), grain,
                     by=(by,), source=source)
        began = time.perf_counter()
        queue_kpis(backend, q)
        out.append((time.perf_counter() - began) * 1000)
    return out


def bi_latencies(backend: AnalyticsBackend, n: int, staffing_runs: int) -> dict[str, list[float]]:
    """Milliseconds of each BI dashboard view, n times over 30 days for one tenant each; the
    staffing view ``staffing_runs`` times (0: not at all). Its Erlang A search is Python and
    grows with the agents an interval needs: at the 100M set's ~1,100 erlangs per tenant
    and interval one call takes minutes."""
    from analytics.dashboard import kpi_views, rollup_views
    from analytics.dashboard.params import KpiFilters, Scope
    from analytics.dashboard.staffing_view import StaffingAsk, staffing
    from analytics.forecast import StaffingTarget

    end = START + timedelta(days=DAYS)
    views: dict[str, Callable[[str], object]] = {
        "trends_hour": lambda t: kpi_views.trends(backend, KpiFilters(
            Scope(t, START, end, DEFAULT_TZ, ()), Grain.HOUR, 20, 0), by_queue=False),
        "heatmap": lambda t: rollup_views.heatmap(backend, KpiFilters(
            Scope(t, START, end, DEFAULT_TZ, ()), Grain.MONTH, 20, 5)),
        "abandonment": lambda t: rollup_views.abandonment_curve(backend, KpiFilters(
            Scope(t, START, end, DEFAULT_TZ, ()), Grain.MONTH, 20, 0), bin_s=10),
        "league": lambda t: kpi_views.league(backend, KpiFilters(
            Scope(t, START, end, DEFAULT_TZ, ()), Grain.MONTH, 20, 0), limit=100),
        "staffing": lambda t: staffing(backend, StaffingAsk(
            tenant=t, day=end, days=1, tz=DEFAULT_TZ, queues=(), weeks=4,
            target=StaffingTarget(), patience_s=120)),
    }
    out: dict[str, list[float]] = {name: [] for name in views if staffing_runs or
                                   name != "staffing"}
    for i in range(n):
        for name, view in views.items():
            if name == "staffing" and i >= staffing_runs:
                continue
            began = time.perf_counter()
            view(f"tenant{i % 5}")
            out[name].append((time.perf_counter() - began) * 1000)
    return out


def _pct(values: list[float], p: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(p) - 1], 2) if len(values) > 1 \
        else round(values[0], 2)


def _cpu_total(server_pid: int | None) -> float:
    """CPU seconds used so far by this process (chDB runs in it) and by the server's."""
    t = os.times()
    if server_pid is None:
        return t.user + t.system
    fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return t.user + t.system + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest_phases(chdb: AnalyticsBackend, remote: AnalyticsBackend, *, root: Path, rows: int,
                  server_pid: int) -> dict[str, float]:
    """Rows/s through the sink (per event, blocks), of the engine alone, and the CPU seconds
    per 100k rows of the block path (the sink's process, plus the server's for the server):
    on a shared machine CPU time varies less than wall time."""
    rates: dict[str, float] = {}
    for name, backend in (("chdb", chdb), ("server", remote)):
        for blocks in (False, True):
            # Events go to separate databases so each run starts from an empty table.
            backend.database = f"bench_{'blocks' if blocks else 'rows'}"
            key = f"ingest_rows_per_s_{name}" + ("" if blocks else "_per_event")
            settle(backend)
            rates[key], used = asyncio.run(ingest(
                backend, root / f"spool-{name}-{blocks}", rows, blocks=blocks,
                server_pid=server_pid if name == "server" else None))
            if blocks:
                rates[f"ingest_cpu_s_per_100k_{name}"] = used * 100_000 / rows
            print(f"{key}: {rates[key]:,.0f}", flush=True)
        backend.database = "bench_engine"
        settle(backend)
        rates[f"engine_rows_per_s_{name}"] = engine_only(backend, rows)
        backend.database = "bench_engine"
        settle(backend)
        rates[f"engine_raw_only_rows_per_s_{name}"] = engine_only(backend, rows, raw_only=True)
        for key in (f"engine_rows_per_s_{name}", f"engine_raw_only_rows_per_s_{name}"):
            print(f"{key}: {rates[key]:,.0f}", flush=True)
        backend.database = "bench_blocks"  # the server's dashboard reads what the sink wrote
    return rates


def dashboard(chdb: AnalyticsBackend, queries: int, raw_queries: int,
              staffing_runs: int) -> dict[str, float]:
    """Rollup vs raw latencies of the KPI, league and BI questions on ``chdb.database``."""
    def timed(label: str, values: list[float]) -> list[float]:
        print(f"{label}: p50 {_pct(values, 50)} ms, p95 {_pct(values, 95)} ms", flush=True)
        return values

    rollup = timed("daily KPIs, rollup", query_latencies(chdb, Source.ROLLUP, queries))
    raw = timed("daily KPIs, raw rows", query_latencies(chdb, Source.RAW, raw_queries))
    league = timed("league, agent_15m",
                   query_latencies(chdb, Source.ROLLUP, queries, by=Dimension.AGENT))
    league_raw = timed("league, raw rows",
                       query_latencies(chdb, Source.RAW, raw_queries, by=Dimension.AGENT))
    bi = bi_latencies(chdb, max(5, queries // 4), staffing_runs)
    for name, values in bi.items():
        print(f"bi {name}: p50 {_pct(values, 50)} ms, p95 {_pct(values, 95)} ms", flush=True)
    return {
        "dashboard_p50_ms": _pct(rollup, 50), "dashboard_p95_ms": _pct(rollup, 95),
        "raw_p50_ms": _pct(raw, 50), "raw_p95_ms": _pct(raw, 95),
        "dashboard_vs_raw_p95": round(_pct(rollup, 95) / _pct(raw, 95), 3),
        "league_p95_ms": _pct(league, 95), "league_raw_p95_ms": _pct(league_raw, 95),
        **{f"bi_{name}_p95_ms": _pct(values, 95) for name, values in bi.items()},
    }


def ingest_summary(chdb: AnalyticsBackend, remote: AnalyticsBackend, args: argparse.Namespace,
                   *, root: Path, server_pid: int) -> dict[str, object]:
    """The ingest phases, their same-run ratios, and the server's rollup-vs-raw pair on the
    rows its sink phase wrote."""
    rates = ingest_phases(chdb, remote, root=root, rows=args.rows, server_pid=server_pid)
    server_rollup = query_latencies(remote, Source.ROLLUP, args.queries)
    server_raw = query_latencies(remote, Source.RAW, args.raw_queries)
    print(f"server daily KPIs: rollup p95 {_pct(server_rollup, 95)} ms,"
          f" raw p95 {_pct(server_raw, 95)} ms", flush=True)
    engines = ("chdb", "server")
    return {
        "ingest_rows": args.rows,
        **{k: round(v) if "per_s" in k else round(v, 3) for k, v in rates.items()},
        **{f"sink_share_of_engine_{n}": round(
            rates[f"ingest_rows_per_s_{n}"] / rates[f"engine_rows_per_s_{n}"], 2)
           for n in engines},
        **{f"rollup_views_share_of_engine_{n}": round(
            1 - rates[f"engine_rows_per_s_{n}"] / rates[f"engine_raw_only_rows_per_s_{n}"], 2)
           for n in engines},
        "blocks_vs_per_event_chdb": round(
            rates["ingest_rows_per_s_chdb"] / rates["ingest_rows_per_s_chdb_per_event"], 2),
        "server_rows": args.rows,
        "server_dashboard_p95_ms": _pct(server_rollup, 95),
        "server_raw_p95_ms": _pct(server_raw, 95),
    }


def main() -> None:
    """Run the benchmark and print its JSON summary last."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per ingest phase")
    parser.add_argument("--dashboard-rows", type=int, default=100_000_000,
                        help="rows of the dashboard's data set (kept in var/, reused)")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--raw-queries", type=int, default=10,
                        help="raw-row questions (seconds each at 100M rows)")
    parser.add_argument("--data-path", type=Path, default=None,
                        help="chDB path of the kept data set (default var/analytics-bench/chdb)")
    # 0 by default: at the 100M set one staffing call ran > 12 min (Erlang A in Python at
    # ~1,100 erlangs per interval) and would hold `make bench` past its area timeout.
    parser.add_argument("--staffing-runs", type=int, default=0,
                        help="timed calls of the staffing view (> 12 min each at 100M rows)")
    parser.add_argument("--skip-ingest", action="store_true",
                        help="dashboard figures only (no ingest phases, no server)")
    args = parser.parse_args()
    from analytics.sink.backends.chdb_backend import ChdbBackend
    from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
    from loadtests import bench_analytics_data as data
    from tests.integration.analytics.clickhouse_server import start_clickhouse

    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="cc-bench-", dir="/tmp"))
    server = start_clickhouse(root / "server")
    # One chDB path per process: the ingest phases use the kept data set's path too, in
    # databases of their own that are dropped at the end.
    path: Path = args.data_path or data.DEFAULT_PATH
    path.mkdir(parents=True, exist_ok=True)
    chdb = ChdbBackend(path, database="bench")
    remote = ClickHouseBackend(server.host, server.port, database="bench",
                               http_port=server.http_port)
    summary: dict[str, object] = {"rows": args.dashboard_rows}
    try:
        summary["dashboard_generated_s"] = data.ensure(chdb, args.dashboard_rows)
        if not args.skip_ingest:
            summary.update(ingest_summary(chdb, remote, args, root=root,
                                          server_pid=server.process.pid))
        chdb.database = data.DATABASE
        settle(chdb)
        summary.update(dashboard(chdb, args.queries, args.raw_queries, args.staffing_runs))
        summary.update({"load_avg_1m_before": round(load_before, 2),
                        "load_avg_1m_after": round(os.getloadavg()[0], 2),
                        "cpus": os.cpu_count()})
    finally:
        for db in ("bench_rows", "bench_blocks", "bench_engine", "bench_engine_raw"):
            with contextlib.suppress(Exception):
                chdb.execute(f"DROP DATABASE IF EXISTS {db}")
        chdb.close()
        remote.close()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

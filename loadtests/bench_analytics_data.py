"""The dashboard benchmark's big data set: queue-call segments generated inside the engine.

    .venv/bin/python -m loadtests.bench_analytics_data --rows 100000000 [--path DIR]

Python cannot produce 100M rows in minutes, so the engine does: one ``INSERT ... SELECT
FROM numbers()`` per chunk, with the same shape as ``bench_analytics.generate`` (5 tenants,
20 queues, 7 skills, 200 agents, 85 % answered, exponential waits of mean 25 s capped at
10 min, log-normal talk, 15 s wrap-up, 30 days from START in time order with up to 5 min
of jitter). Values are hashes of the row number, so every run writes the same rows. The
materialized views fill the rollups as for any insert.

The set is kept under ``var/`` (gitignored) and reused: a run that finds the wanted row
count under the same generator version only reports it; a smaller set is extended chunk
by chunk (an interrupted run resumes where it stopped).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analytics.schema.migrations import migrate
from analytics.sink.backends.chdb_backend import ChdbBackend
from loadtests.bench_analytics import DAYS, START

VERSION = 1
"""Bump when the generated rows change: a set of another version is refused, not mixed."""
DEFAULT_PATH = Path("var/analytics-bench/chdb")
DATABASE = "bench_big"
CHUNK = 5_000_000


class DataSetMismatch(RuntimeError):
    """The kept data set was made by another generator version or for another size."""

    error_id = "bench.dataset_mismatch"


def _select(first: int, count: int, total: int) -> str:
    t0 = int(START.timestamp())
    span = DAYS * 86400

    def u(k: int) -> str:  # uniform in (0, 1), fixed per row and k
        return f"((cityHash64(number, {k}) % 1000000 + 0.5) / 1000000)"

    answered = "(cityHash64(number, 2) % 100 < 85)"
    normal = f"(sqrt(-2 * log({u(4)})) * cos(2 * pi() * {u(5)}))"
    return (
        "SELECT concat('g', toString(number)) AS event_id,"
        " concat('tenant', toString(number % 5)) AS tenant,"
        " concat('q', toString(number % 20)) AS queue,"
        " concat('s', toString(number % 7)) AS skill,"
        " concat('call', toString(number)) AS call_id,"
        " concat('k', toString(cityHash64(number, 1) % 1000000)) AS caller_key,"
        f" toDateTime(least({t0 + span - 1}, {t0} + intDiv(number * {span}, {total})"
        " + cityHash64(number, 7) % 300), 'UTC') AS enqueued_at,"
        f" if({answered}, 'answered', 'abandoned') AS outcome,"
        f" toUInt32(least(600000, -25000 * log({u(3)}))) AS wait_ms,"
        f" if({answered}, toUInt32(exp(11.9 + 0.5 * {normal})), 0) AS talk_ms,"
        f" if({answered}, 15000, 0) AS wrap_ms,"
        f" if({answered}, concat('a', toString(cityHash64(number, 6) % 200)), '') AS agent"
        f" FROM numbers({first}, {count})"
    )


def _have(backend: ChdbBackend) -> tuple[int, int, int]:
    """(version, total the set is made for, rows generated so far), zeros if none."""
    backend.execute(f"CREATE TABLE IF NOT EXISTS {DATABASE}.bench_meta (version UInt32,"
                    " total UInt64, generated UInt64, at DateTime) ENGINE = MergeTree ORDER BY at")
    rows = backend.query(f"SELECT version, total, generated FROM {DATABASE}.bench_meta"
                         " ORDER BY generated DESC LIMIT 1")
    if not rows:
        return 0, 0, 0
    version, total, generated = (int(str(v)) for v in rows[0])
    return version, total, generated


def ensure(backend: ChdbBackend, rows: int, *, log: bool = True, chunk: int = CHUNK) -> int:
    """Make sure ``DATABASE`` holds the ``rows``-row set; the seconds spent generating.

    One insert per ``chunk`` rows: each is a step an interrupted run resumes after.
    """
    backend.database = DATABASE
    migrate(backend, DATABASE, backend.dialect)
    version, total, done = _have(backend)
    if done and (version != VERSION or total != rows):
        raise DataSetMismatch(
            f"[{DataSetMismatch.error_id}] {DEFAULT_PATH} holds version {version} for "
            f"{total:,} rows; wanted version {VERSION} for {rows:,}: remove it to regenerate")
    began = time.monotonic()
    columns = ("event_id, tenant, queue, skill, call_id, caller_key, enqueued_at, outcome,"
               " wait_ms, talk_ms, wrap_ms, agent")
    while done < rows:
        count = min(chunk, rows - done)
        backend.execute(f"INSERT INTO {DATABASE}.queue_calls ({columns}) "
                        + _select(done, count, rows))
        done += count
        backend.execute(f"INSERT INTO {DATABASE}.bench_meta VALUES "
                        f"({VERSION}, {rows}, {done}, now())")
        if log:
            print(f"generated {done:,}/{rows:,} rows in {time.monotonic() - began:.0f} s",
                  flush=True)
    return round(time.monotonic() - began)


def main() -> None:
    """Generate (or find) the data set."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    args.path.mkdir(parents=True, exist_ok=True)
    backend = ChdbBackend(args.path, database=DATABASE)
    try:
        spent = ensure(backend, args.rows)
        print(f"{args.rows:,} rows ready in {args.path} ({spent} s generating)")
    finally:
        backend.close()


if __name__ == "__main__":
    main()

"""The dashboard benchmark's generated data set: its shape, its reuse, a refused mismatch."""

from __future__ import annotations

import pytest

from analytics.sink.backends.chdb_backend import ChdbBackend
from loadtests import bench_analytics_data as data
from loadtests.bench_analytics import DAYS, START


def test_generated_rows_have_the_benchmarks_shape_and_are_kept(
        chdb_session_backend: ChdbBackend) -> None:
    backend = chdb_session_backend
    backend.execute(f"DROP DATABASE IF EXISTS {data.DATABASE}")
    # Chunks small enough that the 30 000 rows take three inserts (resumable steps).
    data.ensure(backend, 30_000, log=False, chunk=10_000)
    db = data.DATABASE
    row = backend.query(
        "SELECT count(), uniqExact(tenant), uniqExact(queue), uniqExact(agent),"
        " countIf(outcome = 'answered'), min(enqueued_at) >= toDateTime("
        f"{int(START.timestamp())}), max(enqueued_at) < toDateTime("
        f"{int(START.timestamp()) + DAYS * 86400}), max(wait_ms), countIf(agent = '' AND"
        f" outcome = 'answered') FROM {db}.queue_calls")[0]
    count, tenants, queues, agents, answered, after, before, longest, unanswered = (
        int(str(v)) for v in row)
    assert (count, tenants, queues) == (30_000, 5, 20)
    assert agents == 201  # 200 agents and '' for the calls nobody answered
    assert 0.83 < answered / count < 0.87
    assert after and before and longest <= 600_000 and unanswered == 0
    # In time order: each 10 000-row chunk covers its own third of the month.
    thirds = backend.query(
        f"SELECT intDiv(toUInt64(substring(event_id, 2)), 10000) AS chunk,"
        f" max(enqueued_at) - min(enqueued_at) FROM {db}.queue_calls GROUP BY chunk")
    assert all(int(str(span)) < DAYS * 86400 / 3 + 300 for _, span in thirds)
    rolled = backend.query(f"SELECT sumMerge(offered) FROM {db}.queue_15m")
    assert int(str(rolled[0][0])) == 30_000
    # A second run finds the set and generates nothing.
    data.ensure(backend, 30_000, log=False, chunk=10_000)
    assert int(str(backend.query(f"SELECT count() FROM {db}.queue_calls")[0][0])) == 30_000
    with pytest.raises(data.DataSetMismatch, match=r"bench\.dataset_mismatch"):
        data.ensure(backend, 60_000, log=False)
    backend.execute(f"DROP DATABASE {db}")

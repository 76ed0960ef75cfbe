"""SQL of the KPI questions (pure text; runs unchanged on chDB 26 and ClickHouse 18.16)."""

from __future__ import annotations

from analytics.kpis.query import Dimension, KpiQuery, bucket_sql
from analytics.schema.ddl import check_identifier
from analytics.schema.rollups import AGENT_15M, QUEUE_15M, Rollup

QUEUE_MEASURES = (
    "offered", "answered", "abandoned", "answered_within", "short_abandoned",
    "answered_wait_ms", "talk_ms", "hold_ms", "wrap_ms", "transferred", "longest_wait_ms",
)
"""Columns after bucket and dimensions in a queue KPI row, in this order."""


def _head(q: KpiQuery, time_column: str) -> tuple[str, str]:
    dims = q.group_columns()
    select = ", ".join([f"{bucket_sql(q.grain, time_column, q.tz)} AS bucket", *dims])
    group = ", ".join(["bucket", *dims])
    return select, group


def rollup_for(q: KpiQuery) -> Rollup | None:
    """The rollup keyed finely enough for ``q``'s grouping and filters (None: raw rows).

    Per queue (or tenant): ``queue_15m``; per agent (or tenant) over every queue:
    ``agent_15m``. Skills, and agents within chosen queues, are read from raw rows even
    under ``Source.ROLLUP``: a rollup keyed by queue, skill and agent would hold about a
    row per call, as slow to read as the raw table and dearer on every insert.
    """
    dims = set(q.by)
    if dims <= {Dimension.TENANT, Dimension.QUEUE} and not q.agents:
        return QUEUE_15M
    if dims <= {Dimension.TENANT, Dimension.AGENT} and not q.queues:
        return AGENT_15M
    return None


def queue_kpis_sql(db: str, q: KpiQuery) -> str:
    """Queue measures per bucket (and dimensions), from a rollup or from raw rows."""
    db = check_identifier(db)
    rollup = rollup_for(q)
    # uses_rollup() first: it refuses thresholds no rollup keeps even when none fits.
    if q.uses_rollup() and rollup is not None:
        select, group = _head(q, "interval_start")
        short = f"sumMerge(abandoned_{q.short_abandon_s}s)" if q.short_abandon_s else "0"
        measures = [
            "sumMerge(offered)", "sumMerge(answered)", "sumMerge(abandoned)",
            f"sumMerge(answered_{q.sl_threshold_s}s)", f"toUInt64({short})",
            "sumMerge(answered_wait_ms)", "sumMerge(talk_ms_sum)", "sumMerge(hold_ms_sum)",
            "sumMerge(wrap_ms_sum)", "sumMerge(transferred_sum)", "maxMerge(longest_wait_ms)",
        ]
        source = f"{db}.{rollup.name} WHERE {q.where('interval_start')}"
    else:
        select, group = _head(q, "enqueued_at")
        ans, ab = "outcome = 'answered'", "outcome = 'abandoned'"
        measures = [
            "count()", f"countIf({ans})", f"countIf({ab})",
            f"countIf({ans} AND wait_ms <= {q.sl_threshold_s * 1000})",
            f"countIf({ab} AND wait_ms < {q.short_abandon_s * 1000})",
            f"sumIf(wait_ms, {ans})", f"sumIf(talk_ms, {ans})", f"sumIf(hold_ms, {ans})",
            f"sumIf(wrap_ms, {ans})", f"countIf({ans} AND transferred = 1)", "max(wait_ms)",
        ]
        # FINAL: a duplicate a producer sent twice is counted once in raw reads too.
        source = f"{db}.queue_calls FINAL WHERE {q.where('enqueued_at')}"
    cols = ", ".join(f"{m} AS {name}" for m, name in zip(measures, QUEUE_MEASURES, strict=True))
    return f"SELECT {select}, {cols} FROM {source} GROUP BY {group} ORDER BY {group}"


def agent_time_sql(db: str, q: KpiQuery) -> str:
    """Seconds per agent state per bucket (and tenant/agent), from the state rollup."""
    db = check_identifier(db)
    if set(q.by) - {Dimension.TENANT, Dimension.AGENT} or q.queues:
        raise ValueError("agent state time is per tenant or agent, not per queue or skill")
    select, group = _head(q, "interval_start")
    return (
        f"SELECT {select}, toString(state) AS state_name, sumMerge(seconds) AS seconds"
        f" FROM {db}.agent_states_15m WHERE {q.where('interval_start')}"
        f" GROUP BY {group}, state_name ORDER BY {group}, state_name"
    )


def first_contact_resolution_sql(db: str, q: KpiQuery, repeat_window_days: int) -> str:
    """Handled contacts and those with no repeat from the same caller within N days.

    A contact is a call (all its queue segments), timed by its first enqueue; it is
    handled if a segment was answered. Callers without a key (anonymous) are left out.
    No window functions (18.16): each caller's contact times are gathered in an array.
    """
    db = check_identifier(db)
    if repeat_window_days <= 0:
        raise ValueError("the repeat window is a positive number of days")
    window = repeat_window_days * 86400
    dims = q.group_columns()
    tenant_filter = q.where("enqueued_at").replace(
        f"enqueued_at < toDateTime({q.end_epoch})",
        f"enqueued_at < toDateTime({q.end_epoch + window})")
    contacts = (
        "SELECT tenant, caller_key, call_id, min(enqueued_at) AS t0,"
        " argMin(queue, enqueued_at) AS queue, argMin(skill, enqueued_at) AS skill,"
        " argMax(agent, outcome = 'answered') AS agent, max(outcome = 'answered') AS handled"
        f" FROM {db}.queue_calls FINAL WHERE {tenant_filter} AND caller_key != ''"
        " GROUP BY tenant, caller_key, call_id"
    )
    per_caller = (
        "SELECT tenant, groupArray((t0, queue, skill, agent, handled)) AS calls,"
        f" groupArray(t0) AS times FROM ({contacts}) GROUP BY tenant, caller_key"
    )
    per_contact = (
        "SELECT tenant, tupleElement(c, 1) AS contact_at, tupleElement(c, 2) AS queue,"
        " tupleElement(c, 3) AS skill, tupleElement(c, 4) AS agent,"
        " arrayExists(x -> x > tupleElement(c, 1) AND x <= tupleElement(c, 1) + "
        f"{window}, times) AS repeated"
        f" FROM ({per_caller}) ARRAY JOIN calls AS c"
        f" WHERE tupleElement(c, 5) = 1 AND tupleElement(c, 1) >= toDateTime({q.start_epoch})"
        f" AND tupleElement(c, 1) < toDateTime({q.end_epoch})"
    )
    select = ", ".join([f"{bucket_sql(q.grain, 'contact_at', q.tz)} AS bucket", *dims])
    group = ", ".join(["bucket", *dims])
    return (
        f"SELECT {select}, count() AS handled, toUInt64(countIf(repeated = 0)) AS resolved"
        f" FROM ({per_contact}) GROUP BY {group} ORDER BY {group}"
    )

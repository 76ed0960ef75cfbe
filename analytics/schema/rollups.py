"""15-minute rollups: AggregatingMergeTree tables fed by materialized views.

Buckets are UTC instants aligned to 15 minutes. Every tenant zone in use today is offset
from UTC by a multiple of 15 minutes, so a UTC 15-minute bucket is also a local one, and
hours, days, weeks and months in the tenant's zone are unions of these buckets (the KPI
queries regroup them with the zone). Keeping the buckets zone-free lets a tenant change
its zone without rebuilding anything.

Counts of calls answered within 10/20/30/60 s and abandoned within 5/10/20/30 s are kept so
the service-level threshold and the short-abandon exclusion can be chosen at query time.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.schema.dialect import CHDB_26, Dialect
from analytics.schema.tables import AGENT_STATES_TABLE, QUEUE_CALLS

ANSWERED_WITHIN_S = (10, 20, 30, 60)
"""Service-level thresholds available from the rollup (answered with wait <= T)."""
SHORT_ABANDON_S = (5, 10, 20, 30)
"""Short-abandon thresholds available from the rollup (abandoned with wait < T)."""
BUCKET_SECONDS = 900


@dataclass(frozen=True)
class Rollup:
    """A rollup table and the materialized view that feeds it from one event table."""

    name: str
    source: str
    keys: tuple[tuple[str, str], ...]
    """(column, type) of the grouping keys; ``{label}`` stands for the label type."""
    aggregates: tuple[tuple[str, str, str], ...]
    """(column, AggregateFunction type, state expression over the source row)."""
    order_by: tuple[str, ...]
    from_clause: str
    check: tuple[str, str]
    """(additive rollup column, the same measure as a plain aggregate of source rows):
    lets a crash repair see whether a batch reached the rollup."""
    where: str = ""

    @property
    def view(self) -> str:
        """Name of the materialized view feeding this rollup."""
        return f"{self.name}_mv"

    def create_table(self, db: str, dialect: Dialect) -> str:
        """CREATE TABLE for the rollup in ``db``."""
        cols = [f"    {name} {typ.format(label=dialect.label_type())}" for name, typ in self.keys]
        cols += [f"    {name} {typ}" for name, typ, _ in self.aggregates]
        return (
            f"CREATE TABLE IF NOT EXISTS {db}.{self.name} (\n" + ",\n".join(cols) + "\n)"
            " ENGINE = AggregatingMergeTree()"
            " PARTITION BY toYYYYMM(interval_start)"
            f" ORDER BY ({', '.join(self.order_by)})"
            + (f" {dialect.table_settings()}" if dialect.table_settings() else "")
        )

    def create_view(self, db: str) -> str:
        """CREATE MATERIALIZED VIEW ... TO the rollup, from the source event table."""
        return (
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{self.view} TO {db}.{self.name} AS "
            + self.select_sql(db)
        )

    def select_sql(self, db: str, extra_where: str = "") -> str:
        """The view's SELECT; ``extra_where`` narrows it (to re-apply one batch's rows)."""
        selects = [f"{expr} AS {name}" for name, _, expr in self.aggregates]
        key_names = [name for name, _ in self.keys]
        conditions = [c for c in (self.where, extra_where) if c]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return (
            f"SELECT {', '.join(key_names[:-1])}, {self.bucket_expr()} AS interval_start, "
            + ", ".join(selects)
            + f" FROM {db}.{self.from_clause}{where}"
            f" GROUP BY {', '.join(key_names)}"
        )

    def contribution_sql(self, db: str, where: str) -> str:
        """Per rollup key: the check measure computed straight from source rows."""
        keys = [f"toString({name})" for name, _ in self.keys[:-1]]
        conditions = " AND ".join(c for c in (self.where, where) if c)
        return (
            f"SELECT {', '.join(keys)}, toUnixTimestamp({self.bucket_expr()}) AS bucket,"
            f" {self.check[1]} FROM {db}.{self.from_clause} WHERE {conditions}"
            f" GROUP BY {', '.join(keys)}, bucket"
        )

    def totals_sql(self, db: str, where: str) -> str:
        """Per rollup key: the check measure as the rollup holds it."""
        keys = [f"toString({name})" for name, _ in self.keys[:-1]]
        return (
            f"SELECT {', '.join(keys)}, toUnixTimestamp(interval_start) AS bucket,"
            f" sumMerge({self.check[0]}) FROM {db}.{self.name} WHERE {where}"
            f" GROUP BY {', '.join(keys)}, bucket"
        )

    def bucket_expr(self) -> str:
        """The 15-minute bucket of a source row (after the ARRAY JOIN for state intervals)."""
        if self.source == AGENT_STATES_TABLE.name:
            return f"toDateTime(slot * {BUCKET_SECONDS}, 'UTC')"
        return f"toStartOfFifteenMinutes({QUEUE_CALLS.time_column})"

    def source_window(self, low: int, high: int) -> str:
        """Source rows that can feed buckets starting in [low, high] (epoch seconds)."""
        if self.source == AGENT_STATES_TABLE.name:
            return (f"started_at < toDateTime({high + BUCKET_SECONDS})"
                    f" AND ended_at > toDateTime({low})"
                    f" AND started_at >= toDateTime({max(0, low - 7 * 86400)})")
        return (f"{QUEUE_CALLS.time_column} >= toDateTime({low})"
                f" AND {QUEUE_CALLS.time_column} < toDateTime({high + BUCKET_SECONDS})")


def _sum(expr: str) -> tuple[str, str]:
    return "AggregateFunction(sum, UInt64)", f"sumState(toUInt64({expr}))"


def _queue_aggregates() -> tuple[tuple[str, str, str], ...]:
    answered = "outcome = 'answered'"
    abandoned = "outcome = 'abandoned'"
    spec: list[tuple[str, str]] = [
        ("offered", "1"),
        ("answered", answered),
        ("abandoned", abandoned),
    ]
    spec += [(f"answered_{t}s", f"{answered} AND wait_ms <= {t * 1000}")
             for t in ANSWERED_WITHIN_S]
    spec += [(f"abandoned_{t}s", f"{abandoned} AND wait_ms < {t * 1000}")
             for t in SHORT_ABANDON_S]
    spec += [
        ("answered_wait_ms", f"if({answered}, wait_ms, 0)"),
        ("talk_ms_sum", f"if({answered}, talk_ms, 0)"),
        ("hold_ms_sum", f"if({answered}, hold_ms, 0)"),
        ("wrap_ms_sum", f"if({answered}, wrap_ms, 0)"),
        ("transferred_sum", f"{answered} AND transferred = 1"),
    ]
    out = [(name, *_sum(expr)) for name, expr in spec]
    out.append(("longest_wait_ms", "AggregateFunction(max, UInt32)", "maxState(wait_ms)"))
    return tuple(out)


# Enum8 renders the same in every dialect.
_AGENT_STATE_TYPE = AGENT_STATES_TABLE.column("state").ch_type(CHDB_26)

QUEUE_CALLS_15M = Rollup(
    name="queue_calls_15m",
    source=QUEUE_CALLS.name,
    keys=(("tenant", "{label}"), ("queue", "{label}"), ("skill", "{label}"),
          ("agent", "{label}"), ("interval_start", "DateTime('UTC')")),
    aggregates=_queue_aggregates(),
    order_by=("tenant", "queue", "interval_start", "skill", "agent"),
    from_clause=QUEUE_CALLS.name,
    check=("offered", "count()"),
)
"""Created by migration 2 and dropped by migration 4 (see ``ROLLUPS``); kept as history."""

# An agent state interval is split over every 15-minute bucket it overlaps, so occupancy
# in a bucket counts only the seconds spent inside it. (arrayMap over range(n) because
# 18.16 has no range(start, end).)
_SLOTS = (
    "arrayMap(i -> intDiv(toUInt32(started_at), 900) + i,"
    " range(toUInt32(intDiv(toUInt32(ended_at) - 1, 900) - intDiv(toUInt32(started_at), 900)"
    " + 1)))"
)
_OVERLAP = (
    "least(toUInt32(ended_at), slot * 900 + 900) - greatest(toUInt32(started_at), slot * 900)"
)

AGENT_STATES_15M = Rollup(
    name="agent_states_15m",
    source=AGENT_STATES_TABLE.name,
    keys=(("tenant", "{label}"), ("agent", "{label}"),
          ("state", _AGENT_STATE_TYPE), ("interval_start", "DateTime('UTC')")),
    aggregates=(("seconds", *_sum(_OVERLAP)),),
    order_by=("tenant", "agent", "interval_start", "state"),
    from_clause=f"{AGENT_STATES_TABLE.name} ARRAY JOIN {_SLOTS} AS slot",
    check=("seconds", f"sum(toUInt64({_OVERLAP}))"),
    where="ended_at > started_at",
)

QUEUE_15M = Rollup(
    name="queue_15m",
    source=QUEUE_CALLS.name,
    keys=(("tenant", "{label}"), ("queue", "{label}"), ("interval_start", "DateTime('UTC')")),
    aggregates=_queue_aggregates(),
    order_by=("tenant", "queue", "interval_start"),
    from_clause=QUEUE_CALLS.name,
    check=("offered", "count()"),
)
"""The same measures per queue only: the dashboards' rollup. Keyed by agent and skill too,
``queue_calls_15m`` holds nearly a row per call when agents spread over queues."""

AGENT_15M = Rollup(
    name="agent_15m",
    source=QUEUE_CALLS.name,
    keys=(("tenant", "{label}"), ("agent", "{label}"), ("interval_start", "DateTime('UTC')")),
    aggregates=_queue_aggregates(),
    order_by=("tenant", "agent", "interval_start"),
    from_clause=QUEUE_CALLS.name,
    check=("offered", "count()"),
)
"""The same measures per agent (agent '' holds the calls nobody answered): the agent
league's rollup, at most one row per agent and interval whatever the queues."""

ROLLUPS: tuple[Rollup, ...] = (AGENT_STATES_15M, QUEUE_15M, AGENT_15M)
"""The rollups the views feed today. ``queue_calls_15m`` (migration 2) was dropped by
migration 4: keyed by queue, skill and agent it held about a row per call, cost more than
the raw table on every insert, and answered nothing a raw read does not."""

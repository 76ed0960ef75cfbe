"""The two ClickHouse generations the schema must run on, and what differs between them.

Everything else in the schema is shared text; only the clauses decided here change. The
differences were checked against the real engines (chDB 4.4 = ClickHouse 26.9, Debian's
clickhouse-server 18.16.1): 18.16 has no TTL clause, no DateTime64, no window functions,
no ``toStartOfInterval``/``toStartOfWeek``, no ``range(a, b)``, no SimpleAggregateFunction,
and refuses LowCardinality unless ``allow_experimental_low_cardinality_type`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """Version-dependent rendering choices for one ClickHouse generation."""

    name: str
    low_cardinality: bool
    """Render label columns as LowCardinality(String) instead of String."""
    supports_ttl: bool
    """A ``TTL`` clause may retire old raw rows by itself."""
    compact_parts: bool = False
    """Small parts may be written in the compact format (one file for all columns)."""

    def label_type(self) -> str:
        """The column type for low-cardinality labels (tenant, queue, agent, state...)."""
        return "LowCardinality(String)" if self.low_cardinality else "String"

    def ttl_clause(self, time_column: str, retention_days: int | None) -> str:
        """A table's TTL clause, or nothing where the engine cannot expire rows itself.

        On 18.16 retention is done by dropping monthly partitions instead
        (see ``analytics.schema.ddl.drop_partitions_before``).
        """
        if retention_days is None or not self.supports_ttl:
            return ""
        return f"TTL {time_column} + INTERVAL {int(retention_days)} DAY"


    def table_settings(self) -> str:
        """The SETTINGS clause ending a MergeTree table's DDL ('' for none)."""
        if not self.compact_parts:
            return ""
        return f"SETTINGS min_bytes_for_wide_part = {WIDE_PART_BYTES}"


WIDE_PART_BYTES = 100 << 20
"""Parts below this size are compact. The sink's inserts write one part per month and
table, a few MB each; wide, every column of each is two files, and a rollup's part came
out wide (its aggregate states are bulky): an A/B of 100k-row inserts on chDB took ~20%
less time with compact parts. Merged parts above the bound are wide again, as reads of a
few columns of big parts want."""

CHDB_26 = Dialect(name="chdb-26", low_cardinality=True, supports_ttl=True,
                  compact_parts=True)
"""chDB 4.4 embeds ClickHouse 26.9: LowCardinality, TTL and compact parts are stable."""

CLICKHOUSE_18 = Dialect(name="clickhouse-18.16", low_cardinality=False, supports_ttl=False)
# 18.16 has neither compact parts nor table-level min_bytes_for_wide_part.
"""Debian's server. LowCardinality exists only as an experiment behind a setting in 18.16;
we keep plain String there rather than depend on an experimental type in production."""

DIALECTS = {d.name: d for d in (CHDB_26, CLICKHOUSE_18)}

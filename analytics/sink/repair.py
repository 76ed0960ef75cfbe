"""Repair of the rollups after a crash in the middle of an insert.

ClickHouse commits the raw table's part and each materialized view's part separately, so
a kill -9 during an insert can leave a batch's raw rows in place while a rollup never
received them (seen with chDB). Settling such a batch therefore compares, for every rollup
key the batch touches, the rollup's additive check measure with the same measure computed
from raw rows: where the rollup lacks exactly the batch's share, the batch's rows are
pushed through the view's SELECT again, for those months (parts are per partition) only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from analytics.schema.ddl import quote
from analytics.schema.rollups import ROLLUPS, Rollup
from analytics.sink.backend import AnalyticsBackend

Key = tuple[object, ...]


@dataclass
class RepairOutcome:
    """What a repair found for one batch."""

    keys_checked: int = 0
    keys_repaired: int = 0
    keys_inconsistent: int = 0
    """Keys off by something other than the batch's share: left alone, reported."""


def _measures(backend: AnalyticsBackend, sql: str) -> dict[Key, int]:
    out: dict[Key, int] = {}
    for row in backend.query(sql):
        key = (*(str(v) for v in row[:-2]), int(str(row[-2])))
        out[key] = int(str(row[-1]))
    return out


def _month(epoch: int) -> int:
    # Partitions are toYYYYMM of the UTC bucket.
    at = datetime.fromtimestamp(epoch, UTC)
    return at.year * 100 + at.month


def repair_rollup(backend: AnalyticsBackend, rollup: Rollup, batch_id: int) -> RepairOutcome:
    """Bring ``rollup`` level with the raw rows of ``batch_id``."""
    db = backend.database
    batch = _measures(backend, rollup.contribution_sql(db, f"sink_batch = {batch_id}"))
    outcome = RepairOutcome(keys_checked=len(batch))
    if not batch:
        return outcome
    buckets = [int(str(k[-1])) for k in batch]
    low, high = min(buckets), max(buckets)
    tenants = ", ".join(sorted({quote(str(k[0])) for k in batch}))
    # Raw rows are read without FINAL: the view saw every inserted row, duplicates included.
    raw = _measures(backend, rollup.contribution_sql(
        db, f"tenant IN ({tenants}) AND {rollup.source_window(low, high)}"))
    held = _measures(backend, rollup.totals_sql(
        db, f"tenant IN ({tenants}) AND interval_start >= toDateTime({low})"
            f" AND interval_start <= toDateTime({high})"))
    missing_by_month: dict[int, list[Key]] = defaultdict(list)
    whole_months: set[int] = set()
    for key, share in batch.items():
        gap = raw.get(key, 0) - held.get(key, 0)
        month = _month(int(str(key[-1])))
        if gap == share and share > 0:
            missing_by_month[month].append(key)
        elif gap != 0:
            outcome.keys_inconsistent += 1
        else:
            whole_months.add(month)  # this month's part reached the rollup
    for month, keys in missing_by_month.items():
        if month in whole_months:
            outcome.keys_inconsistent += len(keys)  # a part cannot be half there: leave it
            continue
        columns = ", ".join([*(k for k, _ in rollup.keys), *(a for a, _, _ in rollup.aggregates)])
        backend.execute(
            f"INSERT INTO {db}.{rollup.name} ({columns}) " + rollup.select_sql(
                db, f"sink_batch = {batch_id} AND toYYYYMM({rollup.bucket_expr()}) = {month}"))
        outcome.keys_repaired += len(keys)
    return outcome


def repair_rollups(backend: AnalyticsBackend, source_table: str,
                   batch_id: int) -> RepairOutcome:
    """Repair every rollup fed by ``source_table`` for one batch."""
    total = RepairOutcome()
    for rollup in ROLLUPS:
        if rollup.source != source_table:
            continue
        part = repair_rollup(backend, rollup, batch_id)
        total.keys_checked += part.keys_checked
        total.keys_repaired += part.keys_repaired
        total.keys_inconsistent += part.keys_inconsistent
    return total

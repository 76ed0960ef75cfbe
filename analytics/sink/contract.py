"""The sink's public value types: settings, results, counters, and its own error."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


class SinkNotRunning(RuntimeError):
    """emit() before start() or after close(): nothing was accepted."""


@dataclass(frozen=True)
class SinkConfig:
    """Batching, retry and bound settings of a sink."""

    batch_rows: int = 10_000
    max_batch_rows: int = 100_000
    flush_interval_s: float = 1.0
    retry_min_s: float = 0.2
    retry_max_s: float = 5.0
    recent_ids: int = 200_000
    """Bound of the recent event ids remembered to drop a producer's repeated emit (at
    least half of it are always kept: ``analytics.sink.recent``)."""
    spool_max_bytes: int = 1 << 30
    segment_bytes: int = 64 << 20


@dataclass(frozen=True)
class EmitResult:
    """What happened to the events of one emit call."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0


@dataclass
class SinkStats:
    """Counters for /metrics (sink lag, dead letters, inserts)."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    inserted: int = 0
    batches: int = 0
    insert_failures: int = 0
    rollup_keys_repaired: int = 0
    last_error: str | None = None
    pending_since: float | None = field(default=None, repr=False)

    def lag_seconds(self, now: float | None = None) -> float:
        """Age of the oldest acknowledged event not yet in ClickHouse (0 when drained)."""
        if self.pending_since is None:
            return 0.0
        return max(0.0, (now if now is not None else time.monotonic()) - self.pending_since)

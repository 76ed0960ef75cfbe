"""Moving spooled events into ClickHouse exactly once (blocking; run in a worker thread).

Protocol for one batch:
1. read up to ``max_rows`` events after the checkpoint;
2. write the batch (random id, spool range) to the spool state and fsync it;
3. insert each table's rows as one insert tagged ``sink_batch = id``;
4. move the checkpoint past the batch.

A crash (or an engine failure) between 2 and 4 leaves the batch "in flight". Settling it
asks each table how many rows carry the batch id: all of them means that insert landed,
none means it did not, and a partial count (an insert split by the engine) is completed
by inserting only the event ids that are missing. So a replay never double-counts, and
a rollup that missed the batch's rows (its view's part was not committed when the
process died) is repaired from those rows (``analytics.sink.repair``).
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from analytics.schema.tables import EVENT_TABLES
from analytics.sink.backend import AnalyticsBackend, BackendRejected
from analytics.sink.dead_letters import DeadLetters
from analytics.sink.repair import repair_rollups
from analytics.sink.spool import InFlight, Spool, SpooledEvent

FaultHook = Callable[[str], None]
"""Test seam called at named points: ``"inserting"`` (inserts about to start) and
``"inserted"`` (rows are in, the checkpoint not yet moved)."""


@dataclass
class BatchOutcome:
    """What settling one batch did."""

    rows: int = 0
    inserted: int = 0
    already_present: int = 0
    dead_lettered: int = 0
    rollup_keys_repaired: int = 0
    rollup_keys_inconsistent: int = 0


def _by_table(events: list[SpooledEvent], dead: DeadLetters) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for ev in events:
        if ev.table in EVENT_TABLES and ev.line.startswith("[") and ev.line.endswith("]"):
            grouped[ev.table].append(ev.line)
        else:
            dead.add(ev.table, "unreadable spool line", ev.line)
    return grouped


def _event_id(line: str) -> str:
    # event_id is the first column of every table
    return str(json.loads(line)[0])


def _landed_ids(backend: AnalyticsBackend, table: str, batch_id: int) -> tuple[int, set[str]]:
    rows = backend.query(
        f"SELECT event_id FROM {backend.database}.{table} WHERE sink_batch = {batch_id}")
    ids = {str(r[0]) for r in rows}
    return len(rows), ids


def settle(spool: Spool, backend: AnalyticsBackend, dead: DeadLetters, *, fresh: bool,
           fault_hook: FaultHook | None = None,
           events: list[SpooledEvent] | None = None) -> BatchOutcome:
    """Insert the in-flight batch's rows that are not in ClickHouse yet, then commit it.

    ``fresh`` skips the presence check for a batch that was never tried before;
    ``events`` are its rows when the caller has just read them.
    Raises BackendUnavailable (the batch stays in flight, to be settled again later).
    """
    inflight = spool.inflight
    if inflight is None:
        return BatchOutcome()
    if events is None:
        events, _ = spool.read(inflight.start, max_rows=2**62, until=inflight.end)
    outcome = BatchOutcome(rows=len(events))
    if fault_hook is not None:
        fault_hook("inserting")
    for table_name, lines in _by_table(events, dead).items():
        table = EVENT_TABLES[table_name]
        todo = lines
        if not fresh:
            count, landed = _landed_ids(backend, table_name, inflight.batch_id)
            if count:
                # Before inserting the rest: those rows must not be counted as missing.
                repaired = repair_rollups(backend, table_name, inflight.batch_id)
                outcome.rollup_keys_repaired += repaired.keys_repaired
                outcome.rollup_keys_inconsistent += repaired.keys_inconsistent
            if count >= len(lines):
                outcome.already_present += len(lines)
                continue
            todo = [ln for ln in lines if _event_id(ln) not in landed]
            outcome.already_present += len(lines) - len(todo)
        try:
            backend.insert(table, todo, inflight.batch_id)
            outcome.inserted += len(todo)
        except BackendRejected as exc:
            dead.add_many(table_name, str(exc), list(todo))
            outcome.dead_lettered += len(todo)
    if fault_hook is not None:
        fault_hook("inserted")
    spool.commit(inflight.end, len(events))
    return outcome


def flush_one(spool: Spool, backend: AnalyticsBackend, dead: DeadLetters, max_rows: int,
              fault_hook: FaultHook | None = None) -> BatchOutcome:
    """Take the next batch from the spool and insert it (settling a leftover batch first)."""
    if spool.inflight is not None:
        return settle(spool, backend, dead, fresh=False, fault_hook=fault_hook)
    start = spool.checkpoint
    events, end = spool.read(start, max_rows)
    if not events:
        return BatchOutcome()
    # Non-zero: rows inserted outside the sink keep the default sink_batch 0.
    spool.begin(InFlight(secrets.randbits(63) | 1, start, end))
    return settle(spool, backend, dead, fresh=True, fault_hook=fault_hook, events=events)

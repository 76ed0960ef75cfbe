"""Moving spooled events into ClickHouse exactly once (blocking; run in a worker thread).

Protocol for one batch:
1. read up to ``max_rows`` events after the checkpoint;
2. write the batch (random id, spool range) to the spool state and fsync it;
3. insert each table's events as one insert (JSON rows, or its column blocks as they
   were spooled when the batch holds blocks), each tagged with its own ``sink_batch`` id
   (batch id + k);
4. move the checkpoint past the batch.

A crash (or an engine failure) between 2 and 4 leaves the batch "in flight". Settling it
asks how many rows carry each insert's id: all of them means that insert landed, none
means it did not, and a partial count (an insert split by the engine) is completed by
inserting only the event ids that are missing. So a replay never double-counts, and
a rollup that missed the batch's rows (its view's part was not committed when the
process died) is repaired from those rows (``analytics.sink.repair``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from analytics.schema.tables import EVENT_TABLES
from analytics.sink.backend import AnalyticsBackend, BackendRejected
from analytics.sink.codec import dumps, loads
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


@dataclass
class _TableWork:
    """One table's share of a batch: single rows and column blocks."""

    lines: list[str] = field(default_factory=list)
    blocks: list[tuple[str, int]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.lines) + sum(n for _, n in self.blocks)


def _by_table(events: list[SpooledEvent], dead: DeadLetters) -> dict[str, _TableWork]:
    grouped: dict[str, _TableWork] = defaultdict(_TableWork)
    for ev in events:
        if ev.table in EVENT_TABLES and ev.is_block and ev.line.endswith("}"):
            grouped[ev.table].blocks.append((ev.line, ev.rows))
        elif ev.table in EVENT_TABLES and ev.line.startswith("[") and ev.line.endswith("]"):
            grouped[ev.table].lines.append(ev.line)
        else:
            dead.add(ev.table, "unreadable spool line", ev.line)
    return grouped


def _missing_part(payload: str, rows: int, landed: set[str]) -> tuple[str, int] | None:
    """The part of a block whose event ids did not land (None: all of it landed)."""
    columns: dict[str, list[object]] = loads(payload)
    keep = [i for i, e in enumerate(columns["event_id"]) if str(e) not in landed]
    if len(keep) == rows:
        return payload, rows
    if not keep:
        return None
    return dumps({k: [v[i] for i in keep] for k, v in columns.items()}), len(keep)


def _event_id(line: str) -> str:
    # event_id is the first column of every table
    return str(loads(line)[0])


@dataclass(frozen=True)
class _Insert:
    """One insert of a batch: its table, rows or column blocks, and its own sink_batch id."""

    table: str
    lines: list[str]
    blocks: list[tuple[str, int]]
    insert_id: int

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.blocks) if self.blocks else len(self.lines)


def _as_blocks(table: str, work: _TableWork) -> list[tuple[str, int]]:
    """A table's blocks in a batch, its single rows turned into one more block.

    They go into one insert, block after block as spooled (never parsed and re-encoded):
    each insert costs parts in the raw table and in every rollup, and a 10k-row insert
    pays that overhead ten times more per row.
    """
    if not work.lines:
        return work.blocks
    names = [c.name for c in EVENT_TABLES[table].columns]
    columns: dict[str, list[object]] = {name: [] for name in names}
    for line in work.lines:
        for name, value in zip(names, loads(line), strict=True):
            columns[name].append(value)
    return [*work.blocks, (dumps(columns), len(work.lines))]


def _inserts(grouped: dict[str, _TableWork], batch_id: int) -> list[_Insert]:
    # One insert per table, each with its own id (batch id + k, tables in name order):
    # ClickHouse commits each insert's raw and view parts separately, and the repair must
    # look at one insert at a time.
    out: list[_Insert] = []
    for table in sorted(grouped):
        work = grouped[table]
        if work.blocks:
            out.append(_Insert(table, [], _as_blocks(table, work), batch_id + len(out)))
        else:
            out.append(_Insert(table, work.lines, [], batch_id + len(out)))
    return out


def _landed_counts(backend: AnalyticsBackend, inserts: list[_Insert]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for table in sorted({i.table for i in inserts}):
        ids = [i.insert_id for i in inserts if i.table == table]
        for insert_id, count in backend.query(
                f"SELECT sink_batch, count() FROM {backend.database}.{table}"
                f" WHERE sink_batch >= {min(ids)} AND sink_batch <= {max(ids)}"
                " GROUP BY sink_batch"):
            counts[int(str(insert_id))] = int(str(count))
    return counts


def _landed_ids(backend: AnalyticsBackend, table: str, insert_id: int) -> set[str]:
    rows = backend.query(
        f"SELECT event_id FROM {backend.database}.{table} WHERE sink_batch = {insert_id}")
    return {str(r[0]) for r in rows}


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
    outcome = BatchOutcome(rows=sum(ev.rows for ev in events))
    if fault_hook is not None:
        fault_hook("inserting")
    inserts = _inserts(_by_table(events, dead), inflight.batch_id)
    counts = {} if fresh else _landed_counts(backend, inserts)
    for step in inserts:
        _settle_insert(backend, dead, step, None if fresh else counts.get(step.insert_id, 0),
                       outcome)
    if fault_hook is not None:
        fault_hook("inserted")
    spool.commit(inflight.end, outcome.rows)
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


def _settle_insert(backend: AnalyticsBackend, dead: DeadLetters, step: _Insert,
                   landed_count: int | None, outcome: BatchOutcome) -> None:
    """Do one insert of a batch; ``landed_count`` is None for a first attempt."""
    table = EVENT_TABLES[step.table]
    lines, blocks = step.lines, step.blocks
    if landed_count:
        # Before inserting the rest: those rows must not be counted as missing.
        repaired = repair_rollups(backend, step.table, step.insert_id)
        outcome.rollup_keys_repaired += repaired.keys_repaired
        outcome.rollup_keys_inconsistent += repaired.keys_inconsistent
        if landed_count >= step.rows:
            outcome.already_present += step.rows
            return
        landed = _landed_ids(backend, step.table, step.insert_id)
        lines = [ln for ln in lines if _event_id(ln) not in landed]
        blocks = [part for b in blocks if (part := _missing_part(*b, landed)) is not None]
    todo = sum(n for _, n in blocks) + len(lines)
    outcome.already_present += step.rows - todo
    try:
        if blocks:
            backend.insert_blocks(table, blocks, step.insert_id)
        else:
            backend.insert(table, lines, step.insert_id)
        outcome.inserted += todo
    except BackendRejected as exc:
        dead.add_many(step.table, str(exc), [*lines, *(payload for payload, _ in blocks)])
        outcome.dead_lettered += todo

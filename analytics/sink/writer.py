"""The event sink: what the control plane calls to write analytics events.

``await sink.emit(table, event)`` returns once the event is fsync'ed in the spool: from then
on it survives a kill -9 and reaches ClickHouse exactly once. Emits arriving together share
one fsync (group commit). A flusher task inserts batches of at least ``batch_rows`` rows, or
whatever is pending once the oldest pending event is ``flush_interval_s`` old.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import structlog

from analytics.schema.migrations import migrate
from analytics.sink.backend import AnalyticsBackend, BackendError
from analytics.sink.batches import FaultHook, flush_one
from analytics.sink.blocks import validate_block
from analytics.sink.contract import EmitResult, SinkConfig, SinkNotRunning, SinkStats
from analytics.sink.dead_letters import DeadLetters
from analytics.sink.events import MalformedEvent, normalize
from analytics.sink.recent import RecentIds
from analytics.sink.spool import Spool

_log = structlog.get_logger(__name__)


class EventSink:
    """Async, batched, spooled writer of analytics events into one backend."""

    def __init__(self, backend: AnalyticsBackend, spool_dir: Path,
                 config: SinkConfig | None = None, fault_hook: FaultHook | None = None) -> None:
        self.backend = backend
        self.config = config or SinkConfig()
        self.stats = SinkStats()
        self.dead_letters = DeadLetters(spool_dir / "dead_letters.jsonl")
        self._spool_dir = spool_dir
        self._fault_hook = fault_hook
        self._spool: Spool | None = None
        self._recent = RecentIds(self.config.recent_ids)
        self._writes: list[tuple[list[tuple[str, str, int]], asyncio.Future[None]]] = []
        self._write_wakeup = asyncio.Event()
        self._flush_wakeup = asyncio.Event()
        self._progress = asyncio.Event()  # set by the flusher after each attempt
        self._flush_requests = 0
        self._closing = False
        self._migrated = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Open the spool (replaying what a crash left behind) and start the tasks."""
        cfg = self.config
        self._spool = await asyncio.to_thread(
            Spool, self._spool_dir, cfg.segment_bytes, cfg.spool_max_bytes)
        if self._spool.rows_pending or self._spool.inflight:
            self.stats.pending_since = time.monotonic() - cfg.flush_interval_s
        self._tasks = [asyncio.create_task(self._write_loop(), name="sink-spool-writer"),
                       asyncio.create_task(self._flush_loop(), name="sink-flusher")]

    @property
    def rows_pending(self) -> int:
        """Acknowledged events not yet inserted."""
        return self._spool.rows_pending if self._spool else 0

    @property
    def spool_bytes(self) -> int:
        """Bytes of acknowledged events not yet inserted."""
        return self._spool.bytes_pending if self._spool else 0

    async def emit(self, table: str, event: Mapping[str, object]) -> EmitResult:
        """Spool one event; see ``emit_many``."""
        return await self.emit_many([(table, event)])

    async def emit_many(self, events: Iterable[tuple[str, Mapping[str, object]]]) -> EmitResult:
        """Validate and durably spool events; return once they are acknowledged.

        Malformed events go to the dead-letter file (with their reason) and are counted;
        the others are still accepted. Raises SpoolError/SpoolFull if the disk cannot take
        them: then nothing of this call was acknowledged.
        """
        if self._spool is None or self._closing:
            raise SinkNotRunning("the sink is not running (call start(), not after close())")
        records: list[tuple[str, str, int]] = []
        admitted: dict[str, list[str]] = {}
        rejected = duplicates = 0
        for table, event in events:
            try:
                line = normalize(table, event)
            except MalformedEvent as exc:
                self.dead_letters.add(table, exc.reason, dict(event)
                                      if isinstance(event, Mapping) else event)
                rejected += 1
                continue
            event_id = str(event["event_id"])
            if not self._recent.admit_one(table, event_id):
                duplicates += 1
                continue
            admitted.setdefault(table, []).append(event_id)
            records.append((table, line, 1))
        await self._spool_records(records, admitted, rejected, duplicates)
        return EmitResult(len(records), rejected, duplicates)

    async def emit_block(self, table: str,
                         columns: Mapping[str, Sequence[object]]) -> EmitResult:
        """Validate column by column and spool many events of one table as one record.

        The bulk path (replays, imports): several times cheaper per event than ``emit``.
        Refused rows go to dead letters with their reason; a block wrong as a whole (unknown
        or missing columns, unequal lengths) is dead-lettered row by row.
        """
        if self._spool is None or self._closing:
            raise SinkNotRunning("the sink is not running (call start(), not after close())")
        try:
            block = validate_block(table, columns)
        except MalformedEvent as exc:
            rows = max((len(v) for v in columns.values()), default=0)
            self.dead_letters.add_many(table, exc.reason, [
                {k: v[i] for k, v in columns.items() if i < len(v)} for i in range(rows)])
            self.stats.rejected += rows
            return EmitResult(0, rows, 0)
        for reason_rows in _group_reasons(block.rejected).items():
            self.dead_letters.add_many(table, *reason_rows)
        ids: list[str] = block.columns["event_id"]  # type: ignore[assignment]  # validated
        keep = self._recent.admit(table, ids)
        duplicates = 0 if keep is None else block.rows - len(keep)
        if keep is not None and duplicates:
            block = block.keep(keep)
        records = [(table, block.to_json(), block.rows)] if block.rows else []
        admitted = {table: block.columns["event_id"]}
        await self._spool_records(records, admitted,  # type: ignore[arg-type]  # str ids
                                  len(block.rejected), duplicates)
        return EmitResult(block.rows, len(block.rejected), duplicates)

    async def _spool_records(self, records: list[tuple[str, str, int]],
                             admitted: Mapping[str, Sequence[str]], rejected: int,
                             duplicates: int) -> None:
        self.stats.rejected += rejected
        self.stats.duplicates += duplicates
        if not records:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._writes.append((records, done))
        self._write_wakeup.set()
        try:
            await done
        except BaseException:
            for table, ids in admitted.items():  # not acknowledged: a retry is no duplicate
                self._recent.forget(table, ids)
            raise
        self.stats.accepted += sum(n for _, _, n in records)

    async def flush(self, within_s: float = 30.0) -> None:
        """Wait until every event acknowledged so far is in ClickHouse.

        Raises TimeoutError (the events stay spooled) if the backend does not take them.
        """
        self._flush_requests += 1
        self._flush_wakeup.set()
        try:
            async with asyncio.timeout(within_s):
                while self._unsettled():
                    self._progress.clear()
                    if not self._unsettled():  # the flusher finished before the clear
                        break
                    await self._progress.wait()
        finally:
            self._flush_requests -= 1

    def _unsettled(self) -> bool:
        return bool(self.rows_pending or (self._spool and self._spool.inflight))

    async def close(self, within_s: float = 30.0) -> None:
        """Flush what the backend takes within ``within_s``, stop, and release the spool.

        Whatever could not be inserted stays in the spool for the next start.
        """
        if self._spool is None:
            return
        self._closing = True
        self._write_wakeup.set()
        writer, flusher = self._tasks
        try:
            async with asyncio.timeout(within_s):
                await writer  # every acknowledged emit is spooled before the last flush
                self._flush_wakeup.set()
                await flusher
        except TimeoutError:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        spool, self._spool = self._spool, None
        await asyncio.to_thread(spool.close)

    async def _write_loop(self) -> None:
        assert self._spool is not None
        while True:
            await self._write_wakeup.wait()
            self._write_wakeup.clear()
            writes, self._writes = self._writes, []
            if not writes:
                if self._closing:
                    return
                continue
            records = [r for batch, _ in writes for r in batch]
            try:
                await asyncio.to_thread(self._spool.append, records)
            except Exception as exc:
                for _, done in writes:
                    if not done.done():
                        done.set_exception(exc)
                continue
            if self.stats.pending_since is None:
                self.stats.pending_since = time.monotonic()
            for _, done in writes:
                if not done.done():
                    done.set_result(None)
            self._flush_wakeup.set()

    async def _flush_loop(self) -> None:
        assert self._spool is not None
        spool, cfg = self._spool, self.config
        backoff = cfg.retry_min_s
        while True:
            pending = spool.rows_pending
            if not pending and spool.inflight is None:
                self.stats.pending_since = None
                self._progress.set()
                if self._closing and self._tasks[0].done():
                    return
                self._flush_wakeup.clear()
                await self._flush_wakeup.wait()
                continue
            age = self.stats.lag_seconds()
            due = (pending >= cfg.batch_rows or age >= cfg.flush_interval_s
                   or self._closing or spool.inflight is not None or self._flush_requests > 0)
            if not due:
                self._flush_wakeup.clear()
                try:
                    async with asyncio.timeout(cfg.flush_interval_s - age):
                        await self._flush_wakeup.wait()
                except TimeoutError:
                    pass
                continue
            try:
                if not self._migrated:
                    await asyncio.to_thread(migrate, self.backend, self.backend.database,
                                            self.backend.dialect)
                    self._migrated = True
                outcome = await asyncio.to_thread(
                    flush_one, spool, self.backend, self.dead_letters, cfg.max_batch_rows,
                    self._fault_hook)
            except (BackendError, OSError) as exc:
                # OSError: the spool state could not be written; the batch stays in flight.
                self.stats.insert_failures += 1
                self.stats.last_error = str(exc)
                _log.warning("analytics_insert_failed", error=str(exc),
                             rows_pending=spool.rows_pending, retry_in_s=backoff)
                self._progress.set()  # wake flush() callers so their timeout keeps running
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, cfg.retry_max_s)
                continue
            backoff = cfg.retry_min_s
            if outcome.rollup_keys_repaired or outcome.rollup_keys_inconsistent:
                _log.warning("analytics_rollup_repaired", repaired=outcome.rollup_keys_repaired,
                             inconsistent=outcome.rollup_keys_inconsistent)
            self.stats.inserted += outcome.inserted
            self.stats.rollup_keys_repaired += outcome.rollup_keys_repaired
            self.stats.batches += 1
            self.stats.last_error = None
            self.stats.pending_since = time.monotonic() if spool.rows_pending else None
            self._progress.set()


def _group_reasons(rejected: list[tuple[str, dict[str, object]]]) -> dict[str, list[object]]:
    grouped: dict[str, list[object]] = {}
    for reason, row in rejected:
        grouped.setdefault(reason, []).append(row)
    return grouped

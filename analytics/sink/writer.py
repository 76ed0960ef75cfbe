"""The event sink: what the control plane calls to write analytics events.

``await sink.emit(table, event)`` returns once the event is fsync'ed in the spool: from then
on it survives a kill -9 and reaches ClickHouse exactly once. Emits arriving together share
one fsync (group commit). A flusher task inserts batches of at least ``batch_rows`` rows, or
whatever is pending once the oldest pending event is ``flush_interval_s`` old.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from analytics.schema.migrations import migrate
from analytics.sink.backend import AnalyticsBackend, BackendError
from analytics.sink.batches import FaultHook, flush_one
from analytics.sink.dead_letters import DeadLetters
from analytics.sink.events import MalformedEvent, normalize
from analytics.sink.spool import Spool

_log = structlog.get_logger(__name__)


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
    """How many recent event ids are remembered to drop a producer's repeated emit."""
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
        self._recent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._writes: list[tuple[list[tuple[str, str]], asyncio.Future[None]]] = []
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
        records: list[tuple[str, str]] = []
        keys: list[tuple[str, str]] = []
        rejected = duplicates = 0
        for table, event in events:
            try:
                line = normalize(table, event)
            except MalformedEvent as exc:
                self.dead_letters.add(table, exc.reason, dict(event)
                                      if isinstance(event, Mapping) else event)
                rejected += 1
                continue
            key = (table, str(event["event_id"]))
            if key in self._recent:
                duplicates += 1
                continue
            self._remember(key)
            keys.append(key)
            records.append((table, line))
        self.stats.rejected += rejected
        self.stats.duplicates += duplicates
        if records:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._writes.append((records, done))
            self._write_wakeup.set()
            try:
                await done
            except BaseException:
                for key in keys:  # not acknowledged: a retry must not look like a duplicate
                    self._recent.pop(key, None)
                raise
            self.stats.accepted += len(records)
        return EmitResult(len(records), rejected, duplicates)

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

    def _remember(self, key: tuple[str, str]) -> None:
        self._recent[key] = None
        if len(self._recent) > self.config.recent_ids:
            self._recent.popitem(last=False)

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

"""The active controller's ACD, journaled: every event it applies is appended, in order, to
the center's log in the shared store, so that a standby replays the same decisions.

The controller drives the ACD synchronously (an event's commands are carried out before
the next event), so the log is written behind the engine by one ordered writer: an event
reaches the store a few milliseconds after it was applied. What a kill -9 can lose is that
tail; the taking-over replica reconciles it against the call sessions it restores (a call
the log does not know is queued again, see `takeover.py`). Engine time is the shared wall
clock, never running backwards, so replayed arrival times and waits stay true.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable

import structlog

from control_plane.acd.engine import Engine
from control_plane.acd.events import Event
from control_plane.acd_store.codec import encode_checkpoint, encode_entry
from control_plane.acd_store.errors import LeaseLost, LogConflict, StoreUnavailable
from control_plane.acd_store.ports import AcdStore, Lease
from control_plane.calls.acd_driver import AcdDriver, CommandSink, DecisionSink

log = structlog.get_logger(__name__)


class JournaledDriver(AcdDriver):
    """`AcdDriver` on the wall clock whose events are logged to the store (see above)."""

    def __init__(self, engine: Engine, *, store: AcdStore, lease: Lease, seq: int,
                 rng: random.Random, on_command: CommandSink,
                 on_decision: DecisionSink | None = None,
                 on_lease_lost: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.time, checkpoint_every: int = 500,
                 retry_s: float = 0.2) -> None:
        super().__init__(engine, on_command=on_command, on_decision=on_decision)
        self.store = store
        self.lease = lease
        self.seq = seq
        self._rng = rng
        self._clock = clock
        self._checkpoint_every = checkpoint_every
        self._retry_s = retry_s
        self._on_lease_lost = on_lease_lost
        self._unwritten: list[bytes] = []
        self._since_checkpoint = 0
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._writer: asyncio.Task[None] | None = None
        self.lost = False

    def now(self) -> float:
        """The shared wall clock, never behind the engine's own time."""
        return max(self._clock(), self.engine.state.now)

    def start(self) -> None:
        """Start the ordered writer."""
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def _journal(self, event: Event, now: float) -> None:
        self._unwritten.append(encode_entry(now, event))
        self._drained.clear()
        self._wake.set()

    @property
    def backlog(self) -> int:
        """Events applied but not yet in the store."""
        return len(self._unwritten)

    async def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every applied event is in the store (True) or the time is up."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), timeout_s)
        return not self._unwritten

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._unwritten:
                batch = list(self._unwritten)
                try:
                    self.seq = await self.store.append(self.lease, batch, after=self.seq)
                except LogConflict:  # our earlier write landed though its answer was lost
                    tail = await self.store.tail(self.lease.partition, self.seq) or ()
                    self.seq += len(tail)
                    del self._unwritten[:len(tail)]
                    continue
                except LeaseLost:
                    # The lease lapsed (a store outage longer than its TTL): the role takes
                    # it again and rebinds us, or fences this replica off. Nothing is
                    # dropped meanwhile.
                    if not self.lost:
                        log.warning("acd journal: lease lapsed, waiting to be rebound",
                                    partition=self.lease.partition, epoch=self.lease.epoch,
                                    backlog=len(self._unwritten))
                        self.lost = True
                        if self._on_lease_lost is not None:
                            self._on_lease_lost()
                    await asyncio.sleep(self._retry_s)
                    continue
                except StoreUnavailable as exc:
                    log.warning("acd journal: store unavailable, retrying",
                                backlog=len(self._unwritten), error=str(exc))
                    await asyncio.sleep(self._retry_s)
                    continue
                del self._unwritten[:len(batch)]
                if not self._unwritten:
                    self._drained.set()
                self._since_checkpoint += len(batch)
                await self._maybe_checkpoint()

    async def rebind(self, lease: Lease, store_seq: int) -> None:
        """Write under ``lease`` from now on. ``store_seq`` is where the store's log ends:
        behind ours means the store lost entries (it restarted without them), so our whole
        state goes in as a checkpoint there and the unwritten tail is in it."""
        self.lease = lease
        if store_seq < self.seq:
            blob = encode_checkpoint(self.engine.state, self._rng)
            await self.store.checkpoint(lease, store_seq, blob)
            self.seq, self._since_checkpoint = store_seq, 0
            self._unwritten.clear()
            self._drained.set()
        self.lost = False
        self._wake.set()

    async def _maybe_checkpoint(self) -> None:
        # The engine matches the log only when nothing applied is still unwritten.
        if self._since_checkpoint < self._checkpoint_every or self._unwritten:
            return
        blob = encode_checkpoint(self.engine.state, self._rng)
        try:
            await self.store.checkpoint(self.lease, self.seq, blob)
            self._since_checkpoint = 0
        except (StoreUnavailable, LeaseLost) as exc:  # the log still holds everything
            log.warning("acd journal: checkpoint failed", error=str(exc))

    def close(self) -> None:
        """Stop the timer and the writer (unwritten events stay unwritten)."""
        super().close()
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

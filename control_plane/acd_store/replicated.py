"""The ACD for many control-plane replicas: engines per partition, ownership by lease.

**Partition key: the tenant.** Every queue of a tenant draws on the same agents (an agent
serves several queues of its tenant, overflow moves calls between queues of one tenant), and
no routing decision ever crosses tenants (every ref is tenant-qualified). So one engine per
tenant keeps every decision local to one owner, needs no cross-replica coordination on the
hot path, and a takeover moves a tenant whole. A finer key (the queue) would split agents
between owners and turn every offer into a distributed negotiation; a coarser one (the
center) would leave one replica doing all the work. The cost: one tenant cannot use more
than one replica's CPU (the engine decides in microseconds, far below a tenant's call rate).

**Time.** Engine time is the shared wall clock (`time.time` by default, NTP-synchronised
replicas), clamped per partition so it never runs backwards: a taking-over replica continues
the same timeline, so every queued call keeps its arrival time and wait.

**Ownership.** An event for a partition nobody holds claims it (on demand); one held by
another live replica raises `NotOwner` (send the event there). A watcher renews this
replica's leases every third of the TTL and takes over any known partition whose lease
expired: load checkpoint + log tail, replay at the original times, adopt the reservations of
offers in flight, fire overdue timers, continue. A lost lease stops the owner at once: every
write is fenced, and the watcher drops the partition when renewal fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from control_plane.acd.commands import Command, DecisionRecord
from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import Event, OfferRejected, TimerFired
from control_plane.acd_store.errors import (
    AcdStoreError,
    LeaseLost,
    LogConflict,
    NotOwner,
    StoreUnavailable,
)
from control_plane.acd_store.partition import (
    LiveCallView,
    OwnedPartition,
    partition_of,
    replay,
)
from control_plane.acd_store.ports import AcdStore, Lease, check_id

log = structlog.get_logger(__name__)

CommandSink = Callable[[Command], None]
DecisionSink = Callable[[DecisionRecord], None]
OwnershipSink = Callable[[str, bool], None]


@dataclass(frozen=True, slots=True)
class AcdTuning:
    """Timing of leases, reservations, checkpoints and retries."""

    lease_ttl_s: float = 3.0
    checkpoint_every: int = 500
    reservation_margin_s: float = 5.0
    retry_s: float = 0.5
    take_over: bool = True


class ReplicatedAcd:
    """Drop-in for `AcdDriver` over a shared store: `await apply(event) -> Outcome`."""

    def __init__(self, store: AcdStore, *, replica_id: str, on_command: CommandSink,
                 on_decision: DecisionSink | None = None,
                 on_ownership: OwnershipSink | None = None,
                 tuning: AcdTuning | None = None, clock: Callable[[], float] = time.time,
                 decision_clock: Callable[[], float] | None = None) -> None:
        self.store = store
        self.replica_id = check_id("replica", replica_id)
        self.tuning = tuning or AcdTuning()
        self._on_command = on_command
        self._on_decision = on_decision
        self._on_ownership = on_ownership
        self._clock = clock
        self._decision_clock = decision_clock
        self._parts: dict[str, OwnedPartition] = {}
        self._claiming: dict[str, asyncio.Lock] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- the AcdDriver surface

    def now(self) -> float:
        """The shared clock engines run on."""
        return self._clock()

    async def apply(self, event: Event) -> Outcome:
        """Apply one event on the partition's owner (this replica) and hand its commands
        out once the store has recorded it. Raises `StoreUnavailable` (503; retry),
        `NotOwner` (another replica owns the tenant) or `LeaseLost`."""
        key = partition_of(event)
        if key is None:  # a bare timer tick: every partition this replica owns
            outcomes = [await self._apply_to(part, event) for part in list(self._parts.values())]
            return _merge(outcomes)
        try:
            return await self._apply_to(await self._owned(key), event)
        except LeaseLost as exc:
            if exc.recorded:  # in the log already: the next owner carries on with it
                raise
            # the lease lapsed (a store outage, a long pause) before the event was
            # recorded: claim the partition again, rebuilt from the log, unless taken
            return await self._apply_to(await self._owned(key), event)

    def submit(self, event: Event) -> asyncio.Task[Outcome]:
        """`apply` from synchronous code (a command callback): runs after the current event."""
        task = asyncio.get_running_loop().create_task(self.apply(event))
        self._keep(task)
        return task

    async def start(self) -> None:
        """Start the lease watcher (renewal and takeover)."""
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def close(self, *, hand_over: bool = True) -> None:
        """Stop; with `hand_over`, checkpoint and release every lease so another replica
        takes over at once instead of after the TTL."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        for part in list(self._parts.values()):
            if hand_over:
                async with part.lock:
                    with contextlib.suppress(StoreUnavailable, LeaseLost):
                        if not part.broken:
                            await part.checkpoint()
                        await self.store.release(part.lease)
            self._drop(part.key, "closed")
        for task in list(self._tasks):
            task.cancel()

    # -- views

    def owned(self) -> tuple[str, ...]:
        """The partitions (tenants) this replica owns now."""
        return tuple(sorted(self._parts))

    def engine(self, partition: str) -> Engine | None:
        """The engine of an owned partition (read it, never apply to it directly)."""
        part = self._parts.get(partition)
        return None if part is None else part.engine

    def live_calls(self, partition: str) -> tuple[LiveCallView, ...]:
        """Every live call of an owned partition, by queue then position then arrival."""
        part = self._parts.get(partition)
        return () if part is None else part.live_calls()

    # -- ownership

    async def _owned(self, key: str) -> OwnedPartition:
        part = self._parts.get(key)
        if part is not None:
            return part
        lock = self._claiming.setdefault(key, asyncio.Lock())
        async with lock:
            part = self._parts.get(key)
            if part is not None:
                return part
            started = time.monotonic()
            lease = await self.store.acquire(key, self.replica_id, self.tuning.lease_ttl_s)
            if lease is None:
                holder = await self.store.holder(key)
                raise NotOwner(key, holder.owner if holder is not None else "unknown")
            return await self._take(lease, started)

    async def _take(self, lease: Lease, started: float) -> OwnedPartition:
        snapshot = await self.store.load(lease.partition)
        engine, rng = replay(snapshot, lease.partition, self._decision_clock)
        part = OwnedPartition(self.store, lease, engine, rng, snapshot.last_seq,
                              started + self.tuning.lease_ttl_s,
                              reservation_margin_s=self.tuning.reservation_margin_s,
                              decision_clock=self._decision_clock)
        self._parts[lease.partition] = part
        log.info("acd partition taken", partition=lease.partition, epoch=lease.epoch,
                 replayed=len(snapshot.entries), checkpoint_seq=snapshot.checkpoint_seq)
        try:
            async with part.lock:
                refused = await part.adopt_reservations(self._reservation_ttl(part))
                for call, agent in refused:
                    await self._step(part, OfferRejected(call, agent))
        except (StoreUnavailable, LeaseLost):
            part.broken = True  # caught up before its next event
        if self._on_ownership is not None:
            self._on_ownership(lease.partition, True)
        self._rearm(part)
        return part

    def _drop(self, key: str, why: str) -> None:
        part = self._parts.pop(key, None)
        if part is None:
            return
        if part.timer is not None:
            part.timer.cancel()
        log.warning("acd partition dropped", partition=key, epoch=part.lease.epoch, why=why)
        if self._on_ownership is not None:
            self._on_ownership(key, False)

    def _reservation_ttl(self, part: OwnedPartition) -> float:
        rings = [q.config.ring_timeout_s for q in part.engine.state.queues.values()]
        return max(rings, default=15.0) + self.tuning.reservation_margin_s

    # -- applying

    async def _apply_to(self, part: OwnedPartition, event: Event) -> Outcome:
        async with part.lock:
            if self._parts.get(part.key) is not part:
                raise LeaseLost(part.key, part.lease.epoch)
            seq = part.seq
            try:
                # renew on the way when the watcher is late (or not started): a third of
                # the TTL before the lease could lapse in the store
                if time.monotonic() >= part.valid_until - self.tuning.lease_ttl_s / 3:
                    await self._renew(part)
                if part.broken:
                    await part.catch_up()
                try:
                    outcome = await self._step(part, event)
                except LogConflict:  # an earlier append whose answer was lost did land
                    await part.catch_up()
                    seq = part.seq
                    outcome = await self._step(part, event)
            except LeaseLost as exc:
                exc.recorded = part.seq != seq
                raise
            if part.since_checkpoint >= self.tuning.checkpoint_every:
                try:
                    await part.checkpoint()
                except (StoreUnavailable, LeaseLost) as exc:  # the log still has it all
                    log.warning("acd checkpoint failed", partition=part.key, error=str(exc))
        self._rearm(part)
        return outcome

    async def _step(self, part: OwnedPartition, event: Event) -> Outcome:
        now = max(self._clock(), part.engine.state.now)
        try:
            outcome, handed = await part.step(event, now)
        except LeaseLost:
            self._drop(part.key, "lease lost on write")
            raise
        if outcome.rejection is not None:
            log.warning("acd refused event", event=type(event).__name__,
                        code=outcome.rejection.code.value, reason=outcome.rejection.reason)
        if self._on_decision is not None:
            for record in outcome.decisions:
                self._on_decision(record)
        for command in handed:
            try:
                self._on_command(command)
            except Exception:  # one failing command must not stop the others
                log.exception("acd command failed", command=type(command).__name__)
        return outcome

    async def _renew(self, part: OwnedPartition) -> None:
        started = time.monotonic()
        if not await self.store.renew(part.lease, self.tuning.lease_ttl_s):
            self._drop(part.key, "lease expired")
            raise LeaseLost(part.key, part.lease.epoch)
        part.valid_until = started + self.tuning.lease_ttl_s

    # -- timers

    def _rearm(self, part: OwnedPartition, delay: float | None = None) -> None:
        if part.timer is not None:
            part.timer.cancel()
            part.timer = None
        if self._parts.get(part.key) is not part:
            return
        if delay is None:
            due = part.engine.next_timer_at()
            if due is None:
                return
            delay = max(0.0, due - self._clock())
        part.timer = asyncio.get_running_loop().call_later(delay, self._tick, part)

    def _tick(self, part: OwnedPartition) -> None:
        part.timer = None
        self._keep(asyncio.get_running_loop().create_task(self._fire(part)))

    async def _fire(self, part: OwnedPartition) -> None:
        try:
            await self._apply_to(part, TimerFired())
        except LeaseLost:
            pass  # dropped already; the watcher claims the partition again if it is free
        except AcdStoreError as exc:  # unavailable, or a record we cannot read: retry
            log.warning("acd timer deferred", partition=part.key, error=str(exc))
            self._rearm(part, self.tuning.retry_s)

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the watcher

    async def _watch(self) -> None:
        period = self.tuning.lease_ttl_s / 3
        while True:
            try:
                await self._watch_once()
            except StoreUnavailable as exc:
                log.warning("acd lease watcher: store unavailable", error=str(exc))
            except AcdStoreError:  # e.g. a corrupt record in a partition to take over
                log.exception("acd lease watcher failed; retrying")
            await asyncio.sleep(period)

    async def _watch_once(self) -> None:
        for part in list(self._parts.values()):
            try:
                await self._renew(part)
            except LeaseLost:
                continue
            if part.reserved and not part.broken:
                async with part.lock:
                    with contextlib.suppress(LeaseLost):  # next apply finds out
                        await part.adopt_reservations(self._reservation_ttl(part))
        if not self.tuning.take_over:
            return
        for key in await self.store.partitions():
            if key in self._parts or await self.store.holder(key) is not None:
                continue
            with contextlib.suppress(NotOwner):
                await self._owned(key)  # claims it: replay, adopt, fire overdue timers


def _merge(outcomes: list[Outcome]) -> Outcome:
    return Outcome(tuple(c for o in outcomes for c in o.commands),
                   tuple(d for o in outcomes for d in o.decisions),
                   next((o.rejection for o in outcomes if o.rejection is not None), None),
                   tuple(n for o in outcomes for n in o.notes))

"""The embedded default: the shared ACD state in this process's memory.

One process only (replicas in one process, or tests, may share one instance). Semantics
equal the Redis adapter's, including lease expiry and fencing, timed by an injectable
monotonic clock so tests can move time without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from control_plane.acd_store.errors import BadInput, LeaseLost, LogConflict
from control_plane.acd_store.ports import Lease, LogSnapshot, Reservation, check_id


@dataclass(slots=True)
class _Log:
    checkpoint: bytes | None = None
    checkpoint_seq: int = 0
    entries: list[bytes] = field(default_factory=list)


class MemoryAcdStore:
    """`AcdStore` in memory (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._leases: dict[str, tuple[Lease, float]] = {}
        self._epochs: dict[str, int] = {}
        self._logs: dict[str, _Log] = {}
        self._reserved: dict[str, tuple[str, float]] = {}

    # -- leases

    def _current(self, partition: str) -> Lease | None:
        held = self._leases.get(partition)
        if held is None:
            return None
        if held[1] <= self._clock():
            del self._leases[partition]
            return None
        return held[0]

    def _fence(self, lease: Lease) -> None:
        if self._current(lease.partition) != lease:
            raise LeaseLost(lease.partition, lease.epoch)

    async def acquire(self, partition: str, owner: str, ttl_s: float) -> Lease | None:
        """See `LeaseStore.acquire`."""
        check_id("partition", partition)
        check_id("replica", owner)
        _check_ttl(ttl_s)
        current = self._current(partition)
        if current is not None and current.owner != owner:
            return None
        epoch = self._epochs.get(partition, 0) + 1
        self._epochs[partition] = epoch
        lease = Lease(partition, owner, epoch)
        self._leases[partition] = (lease, self._clock() + ttl_s)
        self._logs.setdefault(partition, _Log())
        return lease

    async def renew(self, lease: Lease, ttl_s: float) -> bool:
        """See `LeaseStore.renew`."""
        _check_ttl(ttl_s)
        if self._current(lease.partition) != lease:
            return False
        self._leases[lease.partition] = (lease, self._clock() + ttl_s)
        return True

    async def release(self, lease: Lease) -> None:
        """See `LeaseStore.release`."""
        if self._current(lease.partition) == lease:
            del self._leases[lease.partition]

    async def holder(self, partition: str) -> Lease | None:
        """See `LeaseStore.holder`."""
        return self._current(partition)

    async def partitions(self) -> tuple[str, ...]:
        """See `LeaseStore.partitions`."""
        return tuple(sorted(self._logs))

    # -- event log

    async def append(self, lease: Lease, entries: Sequence[bytes], *, after: int) -> int:
        """See `EventLog.append`."""
        self._fence(lease)
        log = self._logs[lease.partition]
        if log.checkpoint_seq + len(log.entries) != after:
            raise LogConflict(lease.partition, after)
        log.entries.extend(bytes(e) for e in entries)
        return log.checkpoint_seq + len(log.entries)

    async def load(self, partition: str) -> LogSnapshot:
        """See `EventLog.load`."""
        log = self._logs.get(partition) or _Log()
        return LogSnapshot(log.checkpoint, log.checkpoint_seq, tuple(log.entries))

    async def tail(self, partition: str, after: int) -> tuple[bytes, ...] | None:
        """See `EventLog.tail`."""
        log = self._logs.get(partition) or _Log()
        if after < log.checkpoint_seq:
            return None
        return tuple(log.entries[after - log.checkpoint_seq:])

    async def checkpoint(self, lease: Lease, seq: int, blob: bytes) -> None:
        """See `EventLog.checkpoint`."""
        self._fence(lease)
        log = self._logs[lease.partition]
        last = log.checkpoint_seq + len(log.entries)
        if not log.checkpoint_seq <= seq <= last:
            raise BadInput(f"checkpoint at {seq} outside the log ({log.checkpoint_seq}..{last})")
        del log.entries[:seq - log.checkpoint_seq]
        log.checkpoint, log.checkpoint_seq = bytes(blob), seq

    # -- agent reservations

    async def sync(self, lease: Lease, *, release: Sequence[Reservation],
                   reserve: Sequence[Reservation], ttl_s: float) -> tuple[bool, ...]:
        """See `AgentReservations.sync`."""
        _check_ttl(ttl_s)
        self._fence(lease)
        for item in (*release, *reserve):
            check_id("agent", item.agent)
            check_id("holder", item.holder)
        now = self._clock()
        for item in release:
            if self._held(item.agent, now) == item.holder:
                del self._reserved[item.agent]
        results = []
        for item in reserve:
            held = self._held(item.agent, now)
            ok = held is None or held == item.holder
            if ok:
                self._reserved[item.agent] = (item.holder, now + ttl_s)
            results.append(ok)
        return tuple(results)

    def _held(self, agent: str, now: float) -> str | None:
        found = self._reserved.get(agent)
        if found is None or found[1] <= now:
            self._reserved.pop(agent, None)
            return None
        return found[0]

    async def reserved_by(self, agent: str) -> str | None:
        """See `AgentReservations.reserved_by`."""
        return self._held(agent, self._clock())

    async def close(self) -> None:
        """Nothing to close."""


def _check_ttl(ttl_s: float) -> None:
    if not 0.001 <= ttl_s <= 86400:
        raise BadInput(f"ttl {ttl_s} s must be within 1 ms .. 1 day")

"""Ports of the shared ACD state: partition leases, the per-partition event log, and agent
reservations. The memory adapter serves one process; the Redis adapter serves replicas.

Every write that only the owner of a partition may make is *fenced*: it carries the
`Lease` (owner and epoch) and the store refuses it with `LeaseLost` unless that exact lease
is still current. Epochs only grow, so a replica that was paused past its lease and then
resumes cannot write with its stale token, even if no other replica took over yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from control_plane.acd_store.errors import BadInput

# Separators inside stored values; ids must not contain them.
_FORBIDDEN = ("|", "\n", "\r")


def check_id(kind: str, value: str) -> str:
    """`value` if it can name a partition, replica, agent or holder; BadInput otherwise."""
    if not value or len(value) > 200 or any(ch in value for ch in _FORBIDDEN):
        raise BadInput(f"{kind} id {value!r} must be 1-200 characters without '|' or newlines")
    return value


@dataclass(frozen=True, slots=True)
class Lease:
    """Ownership of one partition by one replica, with its fencing epoch."""

    partition: str
    owner: str
    epoch: int

    @property
    def token(self) -> str:
        """What the store keeps for the current lease, compared on every fenced write."""
        return f"{self.owner}|{self.epoch}"


@dataclass(frozen=True, slots=True)
class LogSnapshot:
    """A partition's durable history: the newest checkpoint and every entry after it.

    Entry `i` of `entries` has sequence number `checkpoint_seq + 1 + i`.
    """

    checkpoint: bytes | None
    checkpoint_seq: int
    entries: tuple[bytes, ...]

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest entry (0 for an empty history)."""
        return self.checkpoint_seq + len(self.entries)


@dataclass(frozen=True, slots=True)
class Reservation:
    """`agent` is reserved for `holder` (a call); one holder per agent at any time."""

    agent: str
    holder: str


class LeaseStore(Protocol):
    """Partition ownership by lease."""

    async def acquire(self, partition: str, owner: str, ttl_s: float) -> Lease | None:
        """Take the partition when nobody holds it (a new, higher epoch); None when held.

        The owner's own earlier lease is replaced too (a restarted replica gets a new epoch,
        which fences whatever its previous incarnation might still try)."""
        ...

    async def renew(self, lease: Lease, ttl_s: float) -> bool:
        """Extend the lease; False when it expired or another epoch holds it now."""
        ...

    async def release(self, lease: Lease) -> None:
        """Give the partition up at once (no-op when the lease is no longer current)."""
        ...

    async def holder(self, partition: str) -> Lease | None:
        """The current lease of the partition, if any."""
        ...

    async def partitions(self) -> tuple[str, ...]:
        """Every partition that was ever leased (the ones a watcher may take over)."""
        ...


class EventLog(Protocol):
    """The ordered, durable history of the events a partition's owner applied."""

    async def append(self, lease: Lease, entries: Sequence[bytes], *, after: int) -> int:
        """Append (fenced) right after entry `after`; returns the last entry's number.

        Returns only once the store acknowledged the write. Raises `LeaseLost` when the
        lease is no longer current, `LogConflict` when the log does not end at `after` (an
        earlier write whose answer was lost did land), `StoreUnavailable` when the store
        cannot be reached."""
        ...

    async def load(self, partition: str) -> LogSnapshot:
        """The newest checkpoint and every entry after it."""
        ...

    async def tail(self, partition: str, after: int) -> tuple[bytes, ...] | None:
        """Entries after sequence number `after`; None when some were compacted away."""
        ...

    async def checkpoint(self, lease: Lease, seq: int, blob: bytes) -> None:
        """Store `blob` as the state after entry `seq` and drop the entries up to `seq`."""
        ...


class AgentReservations(Protocol):
    """Atomic agent reservation across replicas: one holder per agent until released or
    expired; one atomic step per call, fenced by the caller's lease."""

    async def sync(self, lease: Lease, *, release: Sequence[Reservation],
                   reserve: Sequence[Reservation], ttl_s: float) -> tuple[bool, ...]:
        """Release then reserve, atomically; one flag per `reserve` item (False: the agent
        is held by another holder). Reserving what the same holder already holds renews
        it. Releases only remove reservations still held by the named holder."""
        ...

    async def reserved_by(self, agent: str) -> str | None:
        """Who holds the agent now, if anyone."""
        ...


class AcdStore(LeaseStore, EventLog, AgentReservations, Protocol):
    """Everything a replicated ACD needs from its store."""

    async def close(self) -> None:
        """Let go of connections (the stored state stays)."""
        ...
